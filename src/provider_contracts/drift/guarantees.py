"""What an endpoint's schemas guarantee at one drift path, for the consumer model.

A consumer reads paths in the drift syntax (`usage.total_tokens`,
`events[chat.completion.chunk].choices[].delta.content`). `guarantee` looks the path up
in every schema the endpoint has (each status, the error branch, each stream event)
through the schema facts that classify drift (`schema.facts_for`), and says whether any
of them can have it, describes it, and guarantees it: every key on the way required and
nothing on the way nullable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..contract import sse
from ..contract.registry import Endpoint, SchemaRef
from ..contract.schemas import store_for
from .schema import Facts, facts_for, tokens
from .shape import ErrorTest, _event_name, at

__all__ = ["Guarantee", "event_group", "guarantee", "split_group", "values_at"]

_GROUP = re.compile(r"events\[([^\]]*)\]")


@dataclass(frozen=True, slots=True)
class Guarantee:
    """What the schemas of one endpoint say of one path."""

    possible: bool  # some schema allows it (an open object may hold any key)
    described: bool  # some schema describes it
    guaranteed: bool  # every schema that describes it requires it all the way, never null
    why: str  # when not possible or not guaranteed: "optional at usage", "nullable at id"
    types: frozenset[str] | None  # the types allowed there (None: any), over those schemas
    values: frozenset[str] | None  # the closed set of values (JSON texts), None when open


def split_group(path: str) -> tuple[str | None, str]:
    """`events[x].a.b` -> (`x`, `a.b`); `a.b` -> (None, `a.b`)."""
    match = _GROUP.match(path)
    if match is None:
        return None, path
    rest = path[match.end() :]
    return match.group(1), rest[1:] if rest.startswith(".") else rest


def event_group(event: sse.Event, value: Any, is_error: ErrorTest) -> str:
    """The group a stream event's paths live under, as drift names it: `events[NAME]`."""
    return f"events[{_event_name(event, value, is_error)}]"


def values_at(value: Any, path: str) -> list[Any]:
    """The scalar values at a drift path (no `events[...]` prefix) in one JSON value."""
    return [v for v in at(value, tokens(path)) if not isinstance(v, dict | list)]


def _roots(endpoint: Endpoint, group: str | None) -> Iterator[SchemaRef]:
    if group is None:
        yield from endpoint.responses.values()
        if endpoint.error_branch is not None:
            yield endpoint.error_branch.schema
        return
    spec = endpoint.stream
    if spec is None:
        return
    if group == "error" and endpoint.error_branch is not None:
        yield endpoint.error_branch.schema
    elif spec.format == "typed":
        if group in spec.events:
            yield spec.events[group]
    elif spec.event is not None:
        yield spec.event


def guarantee(endpoint: Endpoint, path: str) -> Guarantee:
    """What the endpoint's schemas say of `path` (see the module's documentation)."""
    store = store_for(endpoint.file.parent.parent.parent)
    group, rest = split_group(path)
    parts = tokens(rest)
    walks = [_walk(facts_for(store, ref), parts) for ref in dict.fromkeys(_roots(endpoint, group))]
    seen = [w for w in walks if w.node is not None]
    if not seen:
        # one schema that follows the path and rules it out outweighs others that are silent
        forbidden = [w for w in walks if not w.possible]
        why = forbidden[0].why if forbidden else "no schema describes it"
        return Guarantee(not forbidden, False, False, why, None, None)
    whys = [w.why for w in seen if not w.guaranteed]
    types: frozenset[str] | None = frozenset()
    values: frozenset[str] | None = frozenset()
    for walk in seen:
        assert walk.node is not None
        types = None if types is None or walk.node.types is None else types | walk.node.types
        values = None if values is None or walk.node.values is None else values | walk.node.values
    return Guarantee(True, True, not whys, whys[0] if whys else "", types, values)


@dataclass(frozen=True, slots=True)
class _Walk:
    possible: bool
    node: Facts | None  # None: the schema says nothing of the path (or forbids it)
    guaranteed: bool = False
    why: str = ""


def _walk(root: Facts, parts: list[str]) -> _Walk:
    """Follow the path down one schema: where it leads, and whether it is guaranteed."""
    node = root
    guaranteed, why = True, ""
    done: list[str] = []
    for token in parts:
        want = "array" if token == "[]" else "object"
        if node.types is not None and want not in node.types:
            shown = _dotted(done) or "the body"
            return _Walk(
                False, None, why=f"{shown} is {'|'.join(sorted(node.types))}, never an {want}"
            )
        if token == "[]":
            child = node.items
        else:
            child = node.properties.get(token, node.additional)
            if child is None and node.closed:
                where = _dotted(done) or "the body"
                return _Walk(False, None, why=f"{where} allows no key {token!r}")
            if guaranteed and token not in node.required:
                guaranteed, why = False, f"optional at {_dotted([*done, token])}"
        if child is None:
            return _Walk(True, None)
        done.append(token)
        if guaranteed and child.types is not None and "null" in child.types:
            guaranteed, why = False, f"nullable at {_dotted(done)}"
        node = child
    return _Walk(True, node, guaranteed, why)


def _dotted(tokens: list[str]) -> str:
    return ".".join(tokens).replace(".[]", "[]")
