"""Shapes: a body reduced to the types seen at each path, values set aside.

For every path (`choices[].message.content`, `[]` standing for every element of an
array, `""` for the body itself) the set of types seen there, plus `absent` when some
of the objects around it lack the key. Arrays are merged over all their elements, so a
list of 350 models that gained a field differs in one path, not 350. A stream's shape
is the merged shape of its data events, grouped by event name
(`events[chat.completion.chunk].choices[].delta`), plus its structure: the terminator,
comment lines, truncation, the set of event names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ..contract import sse
from ..contract.body import Body
from ..contract.registry import Endpoint

__all__ = [
    "BODY_KINDS",
    "EVENT_ROOT",
    "ErrorTest",
    "Shape",
    "at",
    "error_test",
    "shape",
    "shape_of",
]

ErrorTest = Callable[[Any], bool]  # whether a parsed body (or event) took the error branch


def _error_key_default(value: Any) -> bool:
    return isinstance(value, dict) and "error" in value


def error_test(endpoint: Endpoint | None) -> ErrorTest:
    """The endpoint's error-body test; without an endpoint, a body carrying `error` is one."""
    return endpoint.is_error_body if endpoint is not None else _error_key_default


_OBJECT, _ARRAY, _TEXT, _ABSENT = 1, 2, 128, 256
_BIT: dict[type, int] = {dict: 1, list: 2, str: 4, int: 8, float: 16, bool: 32, type(None): 64}
_TYPE_NAMES = (
    (1, "object"),
    (2, "array"),
    (4, "string"),
    (8, "integer"),
    (16, "number"),
    (32, "boolean"),
    (64, "null"),
    (128, "text"),
    (256, "absent"),
)
_NAMES: dict[int, str] = {}


def _names(mask: int) -> str:
    names = _NAMES.get(mask)
    if names is None:
        names = _NAMES[mask] = "|".join(n for bit, n in _TYPE_NAMES if mask & bit) or "empty"
    return names


class _Node:
    """Everything seen at one path: the types, the keys of its objects, its elements."""

    __slots__ = ("common", "items", "keys", "mask")

    def __init__(self) -> None:
        self.mask = 0
        self.keys: dict[str, _Node] | None = None
        self.common: set[str] = set()  # keys every object here carried
        self.items: _Node | None = None


# The two walks below are the hot path (a 1.5 MB model list is ~40,000 values): scalars
# are handled in the loop, without a call, and each path's node is found by one lookup.


def _object(node: _Node, obj: dict[str, Any]) -> None:
    keys = node.keys
    if keys is None:
        keys = node.keys = {}
        node.common = set(obj)
    elif not node.common <= obj.keys():
        node.common.intersection_update(obj)
    for key, value in obj.items():
        child = keys.get(key)
        if child is None:
            child = keys[key] = _Node()
        kind = type(value)
        child.mask |= _BIT[kind]
        if kind is dict:
            _object(child, value)
        elif kind is list and value:
            _array(child, value)


def _array(node: _Node, values: list[Any]) -> None:
    child = node.items
    if child is None:
        child = node.items = _Node()
    mask = child.mask
    for value in values:
        kind = type(value)
        mask |= _BIT[kind]
        if kind is dict:
            _object(child, value)
        elif kind is list and value:
            _array(child, value)
    child.mask = mask


def _add(node: _Node, value: Any) -> None:
    kind = type(value)
    node.mask |= _BIT[kind]
    if kind is dict:
        _object(node, value)
    elif kind is list and value:
        _array(node, value)


def _flatten(node: _Node, path: str, absent: bool, out: dict[str, str]) -> None:
    out[path] = _names(node.mask | (_ABSENT if absent else 0))
    if node.keys is not None:
        common = node.common
        prefix = f"{path}." if path else ""
        for key, child in node.keys.items():
            _flatten(child, prefix + key, key not in common, out)
    if node.items is not None:
        _flatten(node.items, path + "[]", False, out)


@dataclass(slots=True)
class Shape:
    kind: str  # the body kind: json, sse, text, bytes, empty
    types: dict[str, str]
    samples: list[tuple[str, Any]]  # (group path, a JSON value under it), to read enum values
    stream: dict[str, Any] | None = None
    error: bool = False  # a JSON body that took the error branch


EVENT_ROOT = re.compile(r"events\[([^\]]*)\]")


def _plain(value: Any) -> Any:
    """Values from elsewhere than a JSON parser (tuples, subclasses) as plain JSON."""
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def _json_shape(value: Any, is_error: ErrorTest) -> Shape:
    root = _Node()
    try:
        _add(root, value)
    except KeyError:
        value = _plain(value)
        root = _Node()
        _add(root, value)
    types: dict[str, str] = {}
    _flatten(root, "", False, types)
    return Shape("json", types, [("", value)], error=is_error(value))


def _event_name(event: sse.Event, value: Any, is_error: ErrorTest) -> str:
    if event.event:
        return event.event
    if isinstance(value, dict):
        if is_error(value):
            return "error"
        for key in ("type", "object"):
            name = value.get(key)
            if isinstance(name, str) and name:
                return name
    return "message"


def _stream_shape(text: str, is_error: ErrorTest) -> Shape:
    stream = sse.parse(text)
    groups: dict[str, _Node] = {}
    samples: list[tuple[str, Any]] = []
    data_events = stream.data_events
    terminator = ""  # the last data line when it is not JSON: `[DONE]`
    for position, event in enumerate(data_events):
        data = event.data
        assert data is not None
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            if position == len(data_events) - 1:
                terminator = data.strip()
                continue
            groups.setdefault(f"events[{event.event or 'message'}]", _Node()).mask |= _TEXT
            continue
        path = f"events[{_event_name(event, value, is_error)}]"
        node = groups.setdefault(path, _Node())
        try:
            _add(node, value)
        except KeyError:
            value = _plain(value)
            _add(node, value)
        samples.append((path, value))
    types: dict[str, str] = {}
    for path, node in groups.items():
        _flatten(node, path, False, types)
    structure = {
        "terminator": terminator,
        "comments": any(event.comments for event in stream.events),
        "truncated": stream.truncated,
        "events": set(groups),
    }
    return Shape("sse", types, samples, structure)


def shape_of(body: Body | Any, is_error: ErrorTest) -> Shape:
    if not isinstance(body, Body):
        return _json_shape(body, is_error)
    if body.kind == "json":
        return _json_shape(body.value, is_error)
    if body.kind == "sse":
        return _stream_shape(body.value, is_error)
    return Shape(body.kind, {"": BODY_KINDS[body.kind]}, [])


BODY_KINDS = {
    "json": "JSON",
    "sse": "event-stream",
    "text": "text",
    "bytes": "bytes",
    "empty": "empty",
}


def shape(body: Body | Any) -> dict[str, str]:
    """The shape of one body: `{path: "type|type"}` (for a stream, its data events)."""
    return dict(shape_of(body, error_test(None)).types)


def at(value: Any, parts: list[str]) -> Iterator[Any]:
    """Every value at a path split into `parts` (`schema.tokens`), `[]` for each element."""
    if not parts:
        yield value
        return
    token, rest = parts[0], parts[1:]
    if token == "[]":
        if isinstance(value, list):
            for item in value:
                yield from at(item, rest)
    elif isinstance(value, dict) and token in value:
        yield from at(value[token], rest)
