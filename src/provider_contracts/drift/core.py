"""Drift: how the shape of what a provider answers changed between two recordings.

Values never matter here; shapes do. Each body is reduced to its *shape*: for every
path (`choices[].message.content`, `[]` standing for every element of an array, `""`
for the body itself) the set of types seen there, plus `absent` when some of the
objects around it lack the key. Arrays are merged over all their elements, so a list of
350 models that gained a field differs in one path, not 350. A stream's shape is the
merged shape of its data events, grouped by event name
(`events[chat.completion.chunk].choices[].delta`), plus its structure: the terminator,
comment lines, truncation, the set of event names. deepdiff compares the two shapes;
each difference becomes a `Finding`, classified against the endpoint's schema, whose
`$ref`s are followed through the contracts folder to know which paths are required,
typed or enum-constrained:

| change         | breaking                                     | otherwise              |
|----------------|----------------------------------------------|------------------------|
| `added`        | the schema closes the object                 | additive               |
| `removed`      | the schema requires the field                | risky                  |
| `type_changed` | the schema does not allow the new type       | risky                  |
| `nullable`     | the schema does not allow null               | risky                  |
| `enum_value`   | the value is outside the schema's enum/const | noise (a listed value) |
| `stream`       | the stream contract is broken: terminator    | risky: comment lines,  |
|                | lost or unexpected, truncation, an event     | an error event appear; |
|                | type it does not list, its first/last event  | additive: a listed one;|
|                | gone, data events of another kind            | noise: what may go     |

A field that is absent from only some elements (`string -> string|absent`) is `removed`.
Types only narrowing (`string|null -> string`) is not reported: nothing new can reach a
consumer. A path whose container never held an element on one side (an empty list, an
object always null) tells nothing about its fields, so they are not compared.

Enum values are compared only where the schema closes the set (`enum`, `const`);
elsewhere values are not shape. Without an endpoint the same rules apply minus the
schema: removed, type and nullability changes are risky, additions additive, no values.

A body that turns into another kind (JSON to stream), or into the error branch (an error
under 200), is one finding at the root (`""`), breaking with an endpoint. The keys of a
free-form map (`additionalProperties: {...}`) are data, so their coming and going is noise.

Noise: ids, timestamps and usage numbers (by name: `id`, `created`, `*_at`,
`system_fingerprint`, anything under `usage`), generated text and every `volatile` path
of the manifest and the endpoint (`choices[].message.content`). Their values never
matter, and their presence only when the schema requires them. Their *type* still does:
content that was always `null` and now is `""` is exactly the drift a gateway breaks on,
so a type or nullability change at a volatile path is classified like anywhere else; the
one exception is `integer <-> number`, which at a volatile path is how amounts
vary (a cost of `0` then `0.0012`), and is noise.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from ..cassettes.cassette import Cassette, Interaction, from_dict
from ..contract import sse
from ..contract.body import Body
from ..contract.registry import Endpoint, SchemaRef, StreamSpec
from ..contract.schemas import SchemaStore, store_for
from ..errors import BINARY_BODY, EMPTY_FILE, BodyError
from ..files import display, read_bytes

__all__ = [
    "SEVERITIES",
    "Finding",
    "compare",
    "compare_interactions",
    "ordered",
    "read_recording",
    "shape",
    "worst",
]

SEVERITIES = ("breaking", "risky", "additive", "noise")  # worst first
CHANGES = ("added", "removed", "type_changed", "enum_value", "nullable", "stream")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

# What a person reads, one line each; kept here so tests can assert them.
REASONS = {
    "added": "a new field",
    "added_closed": "a new field, and the schema allows no other fields here",
    "removed_required": "the schema requires it, and it is gone",
    "removed_partly_required": "the schema requires it, and some elements no longer carry it",
    "removed": "no longer sent; the schema does not require it",
    "removed_partly": "some elements no longer carry it; the schema does not require it",
    "removed_unknown": "no longer sent",
    "removed_partly_unknown": "some elements no longer carry it",
    "type_outside": "the schema allows {allowed} here, not {new}",
    "type_inside": "a type never recorded here before, though the schema allows it",
    "type_unknown": "the type changed",
    "null_outside": "now null, which the schema does not allow",
    "null_inside": "now null at times; the schema allows it, the old recording never had it",
    "null_unknown": "now null at times",
    "enum_outside": "not one of the schema's values ({allowed})",
    "enum_inside": "a value the schema lists, not recorded before",
    "noise_volatile": "a volatile path: ids, timestamps, generated text and usage vary per call",
    "noise_number": "a volatile number: integer and decimal values alternate",
    "noise_map": "a key of a free-form map: keys are data here, not shape",
    "body_kind": "the body is no longer {old}",
    "branch": "an error body where the old recording had a success body",
    "branch_back": "a success body where the old recording had an error body",
    "terminator_lost": "the stream no longer ends with its terminator",
    "terminator_new": "the stream ends with a terminator it did not have",
    "terminator_changed": "the stream's terminator changed",
    "comments_new": "comment lines appear in the stream (keep-alives); some SSE clients choke on them",
    "comments_gone": "the stream no longer carries comment lines",
    "truncated": "the stream now ends mid-event (truncated)",
    "untruncated": "the stream no longer ends mid-event",
    "event_new_unknown": "an event type the stream contract does not list",
    "event_new_listed": "an event type the contract lists, not recorded before",
    "event_new_error": "the stream now carries an error event",
    "event_new": "a new event type",
    "event_gone_edge": "the contract says the stream {where} with this event",
    "event_gone_data": "the data events of the stream changed kind",
    "event_gone_optional": "an event type the contract does not require, not sent this time",
    "event_gone": "an event type no longer sent",
    "unpaired_new": "a response the old recording has no counterpart for: {what}",
    "unpaired_old": "not answered in the new recording, so not compared: {what}",
}

# Paths whose values (and optional presence) are noise whatever the manifest says.
_NOISE_KEYS = frozenset({"id", "created", "system_fingerprint"})
_NOISE_UNDER = frozenset({"usage"})
_NUMBERS = frozenset({"integer", "number"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between two shapes, classified."""

    path: str  # "choices[].message.content"; "" for the body; "events[NAME]...." in streams
    change: str  # added | removed | type_changed | enum_value | nullable | stream
    old: str  # the old shape ("string", "integer|null", "absent") or value(s)
    new: str
    severity: str  # breaking | risky | additive | noise
    reason: str


def worst(findings: Iterable[Finding]) -> str | None:
    """The worst severity among the findings: breaking > risky > additive > noise."""
    ranks = [_RANK[f.severity] for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by path."""
    return sorted(findings, key=lambda f: (_RANK[f.severity], f.path, f.change, f.new))


# --- shapes ---------------------------------------------------------------------------------

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
class _Shape:
    kind: str  # the body kind: json, sse, text, bytes, empty
    types: dict[str, str]
    samples: list[tuple[str, Any]]  # (group path, a JSON value under it), to read enum values
    stream: dict[str, Any] | None = None
    error: bool = False  # a JSON body that took the error branch


_EVENT_ROOT = re.compile(r"events\[([^\]]*)\]")


def _plain(value: Any) -> Any:
    """Values from elsewhere than a JSON parser (tuples, subclasses) as plain JSON."""
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def _json_shape(value: Any, error_key: str | None) -> _Shape:
    root = _Node()
    try:
        _add(root, value)
    except KeyError:
        value = _plain(value)
        root = _Node()
        _add(root, value)
    types: dict[str, str] = {}
    _flatten(root, "", False, types)
    error = error_key is not None and isinstance(value, dict) and error_key in value
    return _Shape("json", types, [("", value)], error=error)


def _event_name(event: sse.Event, value: Any, error_key: str | None) -> str:
    if event.event:
        return event.event
    if isinstance(value, dict):
        if error_key is not None and error_key in value:
            return "error"
        for key in ("type", "object"):
            name = value.get(key)
            if isinstance(name, str) and name:
                return name
    return "message"


def _stream_shape(text: str, error_key: str | None) -> _Shape:
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
        path = f"events[{_event_name(event, value, error_key)}]"
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
    return _Shape("sse", types, samples, structure)


def _shape_of(body: Body | Any, error_key: str | None) -> _Shape:
    if not isinstance(body, Body):
        return _json_shape(body, error_key)
    if body.kind == "json":
        return _json_shape(body.value, error_key)
    if body.kind == "sse":
        return _stream_shape(body.value, error_key)
    return _Shape(body.kind, {"": _BODY_KINDS[body.kind]}, [])


_BODY_KINDS = {
    "json": "JSON",
    "sse": "event-stream",
    "text": "text",
    "bytes": "bytes",
    "empty": "empty",
}


def shape(body: Body | Any) -> dict[str, str]:
    """The shape of one body: `{path: "type|type"}` (for a stream, its data events)."""
    return dict(_shape_of(body, None).types)


# --- what the schema says about a path ------------------------------------------------------


@dataclass(slots=True)
class _Schema:
    """What a schema (through every `$ref`, `allOf`, `anyOf`, ...) says about one place."""

    types: frozenset[str] | None = None  # None: any type
    values: frozenset[str] | None = None  # the closed set of values (JSON texts); None: open
    required: frozenset[str] = frozenset()
    properties: dict[str, _Schema] = field(default_factory=dict)
    items: _Schema | None = None
    additional: _Schema | None = None  # the schema of keys not in `properties`: a map
    closed: bool = False  # additionalProperties: false


_OPEN = _Schema()
_FIELDS = tuple(f.name for f in fields(_Schema))


def _unconstrained(node: _Schema) -> bool:
    return all(getattr(node, name) == getattr(_OPEN, name) for name in _FIELDS)


_NULL = _Schema(types=frozenset({"null"}), values=frozenset({"null"}))


def _json_key(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _meet_types(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return b if a is None else a
    both = a & b
    if ("number" in a and "integer" in b) or ("integer" in a and "number" in b):
        both |= {"integer"}
    return both


_DEPTH = 24  # recursive schemas are cycles: merging them stops this deep


def _meet(a: _Schema, b: _Schema, depth: int = 0) -> _Schema:
    """Both hold (`allOf`, `$ref` beside other keywords)."""
    if a is _OPEN or a is b or depth > _DEPTH:
        return b if a is _OPEN else a
    if b is _OPEN:
        return a
    properties = dict(a.properties)
    for key, sub in b.properties.items():
        properties[key] = _meet(properties[key], sub, depth + 1) if key in properties else sub
    values = b.values if a.values is None else a.values if b.values is None else a.values & b.values
    return _Schema(
        types=_meet_types(a.types, b.types),
        values=values,
        required=a.required | b.required,
        properties=properties,
        items=_both(a.items, b.items, depth),
        additional=_both(a.additional, b.additional, depth),
        closed=a.closed or b.closed,
    )


def _both(a: _Schema | None, b: _Schema | None, depth: int) -> _Schema | None:
    if a is None or b is None:
        return b if a is None else a
    return _meet(a, b, depth + 1)


def _join(options: list[_Schema], depth: int = 0) -> _Schema:
    """One of them holds (`anyOf`, `oneOf`, `if`/`else`)."""
    if len(options) == 1:
        return options[0]
    if depth > _DEPTH:
        return _OPEN
    types: frozenset[str] | None = frozenset()
    values: frozenset[str] | None = frozenset()
    required: frozenset[str] | None = None
    keys: dict[str, list[_Schema]] = {}
    for option in options:
        types = None if types is None or option.types is None else types | option.types
        values = None if values is None or option.values is None else values | option.values
        if option.types is None or "object" in option.types:
            # required whatever the variant: a field only one variant requires may go
            required = option.required if required is None else required & option.required
        for key, sub in option.properties.items():
            keys.setdefault(key, []).append(sub)
    for key, subs in keys.items():
        # an option that does not name the key leaves it open (or to its map schema)
        subs.extend(o.additional or _OPEN for o in options if key not in o.properties)
    items = [o.items for o in options if o.items is not None]
    additional = [o.additional for o in options if o.additional is not None]
    return _Schema(
        types=types,
        values=values,
        required=required or frozenset(),
        properties={key: _join(subs, depth + 1) for key, subs in keys.items()},
        items=_join(items, depth + 1) if items else None,
        additional=_join(additional, depth + 1) if additional else None,
        closed=all(o.closed for o in options),
    )


class _SchemaReader:
    """Reads a schema into `_Schema`s, following `$ref`s through the store's documents."""

    def __init__(self, store: SchemaStore) -> None:
        self.store = store
        self.done: dict[tuple[str, str], _Schema] = {}

    def ref(self, file: str, pointer: str) -> _Schema:
        key = (file, pointer)
        found = self.done.get(key)
        if found is not None:
            return found
        # Registered before it is read, so that a recursive `$ref` points back at it.
        node = self.done[key] = _Schema()
        built = self.node(_resolve(self.store.document(file), pointer), file)
        for name in _FIELDS:
            setattr(node, name, getattr(built, name))
        return node

    def follow(self, reference: str, file: str) -> _Schema:
        target, _, pointer = reference.partition("#")
        if "://" in target or target.startswith("/"):
            return _OPEN  # nothing outside the contracts folder is ever read
        if target:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(file), target))
            if target.startswith("../"):
                return _OPEN
        return self.ref(target or file, pointer)

    def node(self, schema: Any, file: str) -> _Schema:
        if not isinstance(schema, dict):
            return _OPEN
        declared = schema.get("type")
        types = frozenset([declared]) if isinstance(declared, str) else None
        if isinstance(declared, list):
            types = frozenset(t for t in declared if isinstance(t, str))
        if types is not None and schema.get("nullable") is True:
            types |= {"null"}
        values: frozenset[str] | None = None
        if "const" in schema:
            values = frozenset([_json_key(schema["const"])])
            types = _meet_types(types, frozenset([_json_type(schema["const"])]))
        elif isinstance(schema.get("enum"), list):
            values = frozenset(_json_key(v) for v in schema["enum"])
            types = _meet_types(types, frozenset(_json_type(v) for v in schema["enum"]))
        elif types == frozenset({"null"}):
            values = frozenset({"null"})
        required = schema.get("required")
        properties = schema.get("properties")
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        additional = schema.get("additionalProperties")
        item_nodes = [self.node(s, file) for s in prefix] if isinstance(prefix, list) else []
        if isinstance(items, dict):
            item_nodes.append(self.node(items, file))
        node = _Schema(
            types=types,
            values=values,
            required=frozenset(r for r in required if isinstance(r, str))
            if isinstance(required, list)
            else frozenset(),
            properties={k: self.node(v, file) for k, v in properties.items()}
            if isinstance(properties, dict)
            else {},
            items=_join(item_nodes) if item_nodes else None,
            additional=self.node(additional, file) if isinstance(additional, dict) else None,
            closed=additional is False,
        )
        if isinstance(schema.get("$ref"), str):
            target = self.follow(schema["$ref"], file)
            # A bare `$ref` is its target itself (which may still be being read: a cycle).
            node = target if _unconstrained(node) else _meet(node, target)
        for sub in schema.get("allOf") or ():
            node = _meet(node, self.node(sub, file))
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options:
                node = _meet(node, _join([self.node(s, file) for s in options]))
        if isinstance(schema.get("if"), dict) and ("then" in schema or "else" in schema):
            condition = self.node(schema["if"], file)
            then = (
                _meet(condition, self.node(schema["then"], file)) if "then" in schema else condition
            )
            otherwise = self.node(schema["else"], file) if "else" in schema else _OPEN
            node = _meet(node, _join([then, otherwise]))
        return node


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return True  # a pointer that leads nowhere constrains nothing (lint reports it)
    return node


_READERS: dict[Path, _SchemaReader] = {}


def _schema(store: SchemaStore, ref: SchemaRef) -> _Schema:
    reader = _READERS.get(store.root)
    if reader is None or reader.store is not store:
        reader = _READERS[store.root] = _SchemaReader(store)
    return reader.ref(ref.file, ref.pointer)


_TOKENS = re.compile(r"\[\]|[^.\[\]]+")


def _tokens(path: str) -> list[str]:
    return _TOKENS.findall(path)


@dataclass(frozen=True, slots=True)
class _Place:
    """What the schema says about one path of the body."""

    node: _Schema | None  # None: the schema says nothing about this path
    required: bool = False  # its parent object requires the key
    closed: bool = False  # its parent object allows no other keys
    map_key: bool = False  # a key of a free-form map (additionalProperties)


def _place(root: _Schema | None, tokens: list[str]) -> _Place:
    node = root
    parent: _Schema | None = None
    for token in tokens:
        if node is None:
            return _Place(None)
        parent = node
        node = node.items if token == "[]" else node.properties.get(token, node.additional)
    if parent is None or not tokens or tokens[-1] == "[]":
        return _Place(node)
    key = tokens[-1]
    return _Place(
        node,
        required=key in parent.required,
        closed=parent.closed and key not in parent.properties,
        map_key=key not in parent.properties and parent.additional is not None,
    )


# --- the comparison ------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """The endpoint's knowledge for one comparison: schemas per group, volatile paths."""

    endpoint: Endpoint | None
    roots: dict[str, _Schema | None]  # group path ("" or "events[NAME]") -> its schema
    volatile: tuple[str, ...] = ()

    def split(self, path: str) -> tuple[str, str]:
        """`events[x].a.b` -> (`events[x]`, `a.b`); `a.b` -> (``, `a.b`)."""
        match = _EVENT_ROOT.match(path)
        if match is None:
            return "", path
        rest = path[match.end() :]
        return match.group(0), rest[1:] if rest.startswith(".") else rest

    def place(self, path: str) -> _Place:
        group, rest = self.split(path)
        root = self.roots.get(group)
        if root is None:
            return _Place(None)
        return _place(root, _tokens(rest))

    def noisy(self, path: str) -> bool:
        _, rest = self.split(path)
        for pattern in self.volatile:
            if rest == pattern or rest.startswith((f"{pattern}.", f"{pattern}[")):
                return True
        tokens = [t for t in _tokens(rest) if t != "[]"]
        if not tokens:
            return False
        last = tokens[-1]
        if last in _NOISE_KEYS or last.endswith("_at"):
            return True
        return any(t in _NOISE_UNDER for t in tokens[:-1])


def _context(
    endpoint: Endpoint | None,
    store: SchemaStore | None,
    status: int,
    old: _Shape,
    new: _Shape,
) -> _Context:
    if endpoint is None:
        return _Context(None, {})
    store = store or store_for(endpoint.file.parent.parent.parent)
    roots: dict[str, _Schema | None] = {}
    error = endpoint.error_branch
    if old.kind == "sse" and new.kind == "sse" and endpoint.stream is not None:
        spec = endpoint.stream
        for group in (old.stream or {}).get("events", set()) | (new.stream or {}).get(
            "events", set()
        ):
            name = group[len("events[") : -1]
            if spec.format == "typed":
                ref = spec.events.get(name)
            elif name == "error" and error is not None:
                ref = error.schema
            else:
                ref = spec.event
            roots[group] = _schema(store, ref) if ref is not None else None
    elif old.error and error is not None:
        roots[""] = _schema(store, error.schema)
    elif endpoint.stream is None or not 200 <= status < 300:
        ref = endpoint.schema_for(status)
        roots[""] = _schema(store, ref) if ref is not None else None
    # else: a JSON success body where a stream was due; no schema reads it
    return _Context(endpoint, roots, endpoint.volatile)


def compare(
    old: Body | Any,
    new: Body | Any,
    endpoint: Endpoint | None = None,
    store: SchemaStore | None = None,
    *,
    status: int = 200,
) -> tuple[Finding, ...]:
    """The structural drift from `old` to `new` (each a `Body` or a parsed JSON value).

    With an endpoint, its schema for `status` (the stream contract, for streams; the
    error branch for bodies carrying its key) and its volatile paths classify the
    findings; without, the rules apply without the schema's knowledge.
    """
    error_key = endpoint.error_branch.key if endpoint and endpoint.error_branch else "error"
    old_shape = _shape_of(old, error_key)
    new_shape = _shape_of(new, error_key)
    known = endpoint is not None
    if old_shape.kind != new_shape.kind:
        old_name, new_name = _BODY_KINDS[old_shape.kind], _BODY_KINDS[new_shape.kind]
        reason = REASONS["body_kind"].format(old=old_name)
        return (Finding("", "type_changed", old_name, new_name, _sev(known, "risky"), reason),)
    if old_shape.kind not in ("json", "sse"):
        return ()  # text, bytes, empty: values only, no shape
    if old_shape.error != new_shape.error:
        reason = REASONS["branch" if new_shape.error else "branch_back"]
        names = ("success body", "error body")
        return (
            Finding(
                "",
                "type_changed",
                names[old_shape.error],
                names[new_shape.error],
                _sev(known, "risky"),
                reason,
            ),
        )
    context = _context(endpoint, store, status, old_shape, new_shape)
    return tuple(ordered(_findings(old_shape, new_shape, context)))


def _sev(known: bool, otherwise: str) -> str:
    return "breaking" if known else otherwise


def _values(shapes: _Shape, context: _Context) -> dict[str, set[str]]:
    """The values seen at every path whose schema closes the set of values."""
    found: dict[str, set[str]] = {}
    for path in shapes.types:
        place = context.place(path)
        if place.node is None or place.node.values is None:
            continue
        group, rest = context.split(path)
        tokens = _tokens(rest)
        seen: set[str] = set()
        for sample_group, value in shapes.samples:
            if sample_group == group:
                seen.update(_json_key(v) for v in _at(value, tokens))
        found[path] = seen
    return found


def _at(value: Any, tokens: list[str]) -> Iterator[Any]:
    if not tokens:
        if not isinstance(value, (dict, list)):
            yield value
        return
    token, rest = tokens[0], tokens[1:]
    if token == "[]":
        if isinstance(value, list):
            for item in value:
                yield from _at(item, rest)
    elif isinstance(value, dict) and token in value:
        yield from _at(value[token], rest)


def _findings(old: _Shape, new: _Shape, context: _Context) -> Iterator[Finding]:
    from deepdiff import DeepDiff

    left: dict[str, Any] = {"types": old.types, "values": _values(old, context)}
    right: dict[str, Any] = {"types": new.types, "values": _values(new, context)}
    if old.stream is not None and new.stream is not None:
        left["stream"], right["stream"] = old.stream, new.stream
    # threshold_to_diff_deeper=0: compare key by key however different the two shapes are
    diff = DeepDiff(left, right, view="tree", threshold_to_diff_deeper=0)
    added = {_key(level) for level in diff.get("dictionary_item_added", ())}
    removed = {_key(level) for level in diff.get("dictionary_item_removed", ())}
    for section, path in sorted(added):
        if section == "types" and _reported(path, old.types, added):
            yield _added(path, context)
    for section, path in sorted(removed):
        if section == "types" and _reported(path, new.types, removed):
            yield _removed(path, old.types[path], "absent", context)
    for level in diff.get("values_changed", ()):
        section, path = _key(level)
        if section == "types":
            yield from _changed(path, str(level.t1), str(level.t2), context)
        elif section == "stream":
            yield from _stream_findings(path, level.t1, level.t2, context)
    for level in diff.get("set_item_added", ()):
        section, path = _key(level.up)
        if section == "values" and _json_type(orjson.loads(level.t2)) in old.types[path]:
            # a value of a type new at this path is already a type or nullability finding
            yield _enum_value(path, level.t2, context, left["values"][path])
        elif section == "stream":
            yield _event_added(str(level.t2), context)
    for level in diff.get("set_item_removed", ()):
        section, path = _key(level.up)
        if section == "stream":
            yield _event_removed(str(level.t1), context)


def _key(level: Any) -> tuple[str, str]:
    parts = level.path(output_format="list")
    return str(parts[0]), str(parts[1]) if len(parts) > 1 else ""


def _parent(path: str) -> tuple[str, bool]:
    """The parent path, and whether `path` is its elements (`[]`) rather than a key."""
    if path.endswith("[]"):
        return path[:-2], True
    match = _EVENT_ROOT.fullmatch(path)
    if match is not None:
        return "", False
    cut = path.rfind(".")
    return (path[:cut] if cut >= 0 else ""), False


def _reported(path: str, other: Mapping[str, str], same_side: set[tuple[str, str]]) -> bool:
    """Whether an added (removed) path is a finding of its own.

    Not when it is a stream's event group (the stream's findings tell), when its parent
    was added (removed) too (one finding for the subtree), or when the other side
    never held an element or an object at the parent, so it tells nothing either way.
    """
    if _EVENT_ROOT.fullmatch(path):
        return False
    parent, elements = _parent(path)
    if ("types", parent) in same_side or parent not in other:
        return False
    if elements:
        return False  # the other side's lists were always empty
    return "object" in other[parent].split("|")


def _added(path: str, context: _Context) -> Finding:
    place = context.place(path)
    if place.closed:
        return Finding(path, "added", "absent", "present", "breaking", REASONS["added_closed"])
    if place.map_key:
        return Finding(path, "added", "absent", "present", "noise", REASONS["noise_map"])
    if context.noisy(path):
        return Finding(path, "added", "absent", "present", "noise", REASONS["noise_volatile"])
    return Finding(path, "added", "absent", "present", "additive", REASONS["added"])


def _removed(path: str, old: str, new: str, context: _Context) -> Finding:
    place = context.place(path)
    partly = "_partly" if new != "absent" else ""
    if place.required:
        return Finding(path, "removed", old, new, "breaking", REASONS[f"removed{partly}_required"])
    if place.map_key:
        return Finding(path, "removed", old, new, "noise", REASONS["noise_map"])
    if context.noisy(path):
        return Finding(path, "removed", old, new, "noise", REASONS["noise_volatile"])
    known = "" if context.endpoint is not None and place.node is not None else "_unknown"
    return Finding(path, "removed", old, new, "risky", REASONS[f"removed{partly}{known}"])


def _changed(path: str, old: str, new: str, context: _Context) -> Iterator[Finding]:
    before, after = set(old.split("|")), set(new.split("|"))
    if "absent" in after and "absent" not in before:
        yield _removed(path, old, new, context)
    introduced = after - before - {"absent"}
    if "number" in before:
        introduced.discard("integer")
    if not introduced:
        return  # only narrowing: nothing new reaches a consumer
    place = context.place(path)
    allowed = place.node.types if place.node is not None else None
    outside = allowed is not None and not all(
        t in allowed or (t == "integer" and "number" in allowed) for t in introduced
    )
    if introduced == {"null"}:
        if outside:
            yield Finding(path, "nullable", old, new, "breaking", REASONS["null_outside"])
        else:
            inside = "null_inside" if allowed is not None else "null_unknown"
            yield Finding(path, "nullable", old, new, "risky", REASONS[inside])
        return
    if outside:
        assert allowed is not None
        reason = REASONS["type_outside"].format(
            allowed="|".join(sorted(allowed)) or "nothing", new="|".join(sorted(introduced))
        )
        yield Finding(path, "type_changed", old, new, "breaking", reason)
    elif context.noisy(path) and introduced <= _NUMBERS and before & _NUMBERS:
        yield Finding(path, "type_changed", old, new, "noise", REASONS["noise_number"])
    else:
        inside = "type_inside" if allowed is not None else "type_unknown"
        yield Finding(path, "type_changed", old, new, "risky", REASONS[inside])


def _enum_value(path: str, value: Any, context: _Context, before: set[str]) -> Finding:
    place = context.place(path)
    allowed = place.node.values if place.node is not None else None
    shown_old = "|".join(sorted(_shown(v) for v in before)) or "absent"
    shown = _shown(str(value))
    if allowed is not None and str(value) not in allowed:
        listed = "|".join(sorted(_shown(v) for v in allowed)) or "none"
        reason = REASONS["enum_outside"].format(allowed=listed)
        return Finding(path, "enum_value", shown_old, shown, "breaking", reason)
    return Finding(path, "enum_value", shown_old, shown, "noise", REASONS["enum_inside"])


def _shown(json_text: str) -> str:
    """A JSON value as a person reads it: strings bare, everything else as JSON."""
    value = orjson.loads(json_text)
    return value if isinstance(value, str) else json_text


def _spec(context: _Context) -> StreamSpec | None:
    return context.endpoint.stream if context.endpoint is not None else None


def _stream_findings(key: str, old: Any, new: Any, context: _Context) -> Iterator[Finding]:
    spec = _spec(context)
    path = f"stream.{key}"
    severity = "breaking" if spec is not None else "risky"
    if key == "terminator":
        before, after = old or "absent", new or "absent"
        if not new:
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_lost"])
        elif not old:
            expected = spec is not None and spec.terminator == new
            severity = "additive" if expected else "risky" if spec is None else "breaking"
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_new"])
        else:
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_changed"])
    elif key == "comments":
        before, after = ("present", "absent") if old else ("absent", "present")
        kind = ("risky", "comments_new") if new else ("noise", "comments_gone")
        yield Finding(path, "stream", before, after, kind[0], REASONS[kind[1]])
    elif key == "truncated":
        before, after = ("truncated", "complete") if old else ("complete", "truncated")
        kind = (severity, "truncated") if new else ("noise", "untruncated")
        yield Finding(path, "stream", before, after, kind[0], REASONS[kind[1]])


def _event_added(group: str, context: _Context) -> Finding:
    spec = _spec(context)
    name = group[len("events[") : -1]
    if name == "error":
        severity, reason = "risky", "event_new_error"
    elif spec is None:
        severity, reason = "risky", "event_new"
    elif spec.format == "typed" and name in spec.events:
        severity, reason = "additive", "event_new_listed"
    else:
        severity, reason = "breaking", "event_new_unknown"
    return Finding(group, "stream", "absent", "present", severity, REASONS[reason])


def _event_removed(group: str, context: _Context) -> Finding:
    spec = _spec(context)
    name = group[len("events[") : -1]
    if name == "error":
        severity, reason = "noise", REASONS["event_gone_optional"]
    elif spec is None:
        severity, reason = "risky", REASONS["event_gone"]
    elif spec.format == "typed" and name in (spec.first, spec.last):
        where = "begins" if name == spec.first else "ends"
        severity, reason = "breaking", REASONS["event_gone_edge"].format(where=where)
    elif spec.format == "typed":
        severity, reason = "noise", REASONS["event_gone_optional"]
    else:
        severity, reason = "breaking", REASONS["event_gone_data"]
    return Finding(group, "stream", "present", "absent", severity, reason)


# --- two cassettes --------------------------------------------------------------------------


def _pair_key(
    interaction: Interaction, error_key: str, endpoint: Endpoint | None
) -> tuple[str, str, int, bool, bool]:
    response = interaction.response
    body = response.body
    stream = body.kind == "sse" or "event-stream" in response.content_type
    error = body.kind == "json" and isinstance(body.value, dict) and error_key in body.value
    # With a contract, every interaction is that endpoint's: its path template pairs a
    # fresh `/events/evt_new` with the committed `/events/evt_old`, whatever the host
    # or prefix the recording went through.
    path = endpoint.path if endpoint else urlsplit(interaction.request.uri).path
    return (interaction.request.method, path, response.status, stream, error)


def _describe(key: tuple[str, str, int, bool, bool]) -> str:
    method, path, status, stream, error = key
    extra = ", streamed" if stream else ", an error body" if error and status < 300 else ""
    return f"{method} {path} {status}{extra}"


def compare_interactions(
    old: Cassette, new: Cassette, endpoint: Endpoint | None
) -> tuple[Finding, ...]:
    """Drift between two recordings of an endpoint, interaction by interaction.

    Interactions are paired by method, path, status, whether they stream and whether
    the body took the error branch; among several candidates, each new interaction is
    paired with the old one it differs from least (a fresh probe against the committed
    example it reproduces). A new interaction with no counterpart is risky (the probe
    got an answer never recorded); an old one without is noise (examples a probe does
    not reproduce). The same finding from several pairs is reported once.
    """
    error_key = endpoint.error_branch.key if endpoint and endpoint.error_branch else "error"
    store = store_for(endpoint.file.parent.parent.parent) if endpoint is not None else None
    waiting: dict[tuple[str, str, int, bool, bool], list[Interaction]] = {}
    for interaction in old.interactions:
        waiting.setdefault(_pair_key(interaction, error_key, endpoint), []).append(interaction)
    found: dict[tuple[str, str, str, str], Finding] = {}
    for interaction in new.interactions:
        key = _pair_key(interaction, error_key, endpoint)
        candidates = waiting.get(key)
        if not candidates:
            what = _describe(key)
            reason = REASONS["unpaired_new"].format(what=what)
            _keep(found, Finding("", "added", "absent", what, "risky", reason))
            continue
        scored: list[tuple[tuple[int, ...], int, Interaction, tuple[Finding, ...]]] = []
        for candidate in candidates:
            findings = compare(
                candidate.response.body,
                interaction.response.body,
                endpoint,
                store,
                status=key[2],
            )
            counts = tuple(sum(f.severity == s for f in findings) for s in SEVERITIES)
            scored.append((counts, len(scored), candidate, findings))
        _, _, chosen, findings = min(scored, key=lambda s: (s[0], s[1]))
        candidates.remove(chosen)
        for finding in findings:
            _keep(found, finding)
    for key, rest in waiting.items():
        if rest:
            what = _describe(key)
            reason = REASONS["unpaired_old"].format(what=what)
            _keep(found, Finding("", "removed", what, "absent", "noise", reason))
    return tuple(ordered(found.values()))


def _keep(found: dict[tuple[str, str, str, str], Finding], finding: Finding) -> None:
    found.setdefault((finding.path, finding.change, finding.old, finding.new), finding)


# --- reading what to compare ----------------------------------------------------------------

NOT_A_RECORDING = (
    "{where}: neither a cassette nor a JSON or event-stream body; give a cassette "
    "(cassettes/PROVIDER/ENDPOINT.json) or a response body exactly as the provider sent it"
)


def read_recording(path: Path) -> Cassette | Body:
    """A file to diff: a cassette (a JSON object with `interactions`) or a response body."""
    data = read_bytes(path, BodyError)
    where = display(path)
    body = Body.from_raw(data)
    if body.kind == "empty" or not data.strip():
        raise BodyError(EMPTY_FILE.format(where=where, fix="give a cassette or a response body"))
    if body.kind == "bytes":
        raise BodyError(BINARY_BODY.format(where=where))
    if body.kind == "text":
        raise BodyError(NOT_A_RECORDING.format(where=where))
    if body.kind == "json" and isinstance(body.value, dict) and "interactions" in body.value:
        return from_dict(body.value, path)
    return body
