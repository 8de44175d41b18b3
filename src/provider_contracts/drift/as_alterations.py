"""A drift as replay alterations: the `contracts serve --alter` specs that reproduce it.

`contracts diff OLD NEW --as-alterations` turns each finding that a gateway could feel
(breaking, risky, additive; noise is left out) into a spec of `replay/alterations.py`,
so that the committed cassettes, served with those specs, answer as NEW does:

| finding                              | spec                                          |
|--------------------------------------|-----------------------------------------------|
| `removed` (gone, or gone from some)  | `drop:PATH`                                   |
| `added`                              | `add:PATH=VALUE`, a value NEW has there       |
| `nullable`                           | `retype:PATH=null`                            |
| `type_changed`                       | `retype:PATH=TYPE`, the type NEW brought      |
| `enum_value`                         | `add:PATH=VALUE`, the new value               |
| `stream.truncated` (now truncated)   | `cut:N`, after the whole events NEW sent      |

each scoped to the endpoint (`@provider/endpoint`) when the diff knows it. An alteration
applies to every element of a `[]` and, in a stream, to every JSON data event, so a
stream finding's `events[NAME].` prefix is dropped. A change that no alteration can
express (a stream's terminator, comments or events, a body that changed kind or branch, an answer
with no counterpart, a path from the root array) is returned apart, to be told to the
user rather than replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from ..cassettes.cassette import Cassette
from ..contract import sse
from ..contract.body import Body
from ..contract.registry import Endpoint
from .classify import shown
from .findings import Finding
from .schema import json_key, tokens
from .shape import EVENT_ROOT, at

__all__ = ["as_alterations"]

_CUT = {("stream.truncated", "truncated"), ("stream.terminator", "absent")}
_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")


def as_alterations(
    findings: Iterable[Finding], new: Cassette | Body, endpoint: Endpoint | None
) -> tuple[list[str], list[Finding]]:
    """(the specs that replay `findings`, in order; the findings no spec can replay).

    `new` is the NEW recording: values that appeared are taken from it.
    """
    scope = f"@{endpoint.id}" if endpoint is not None else ""
    bodies = list(_values_of(new))
    specs: list[str] = []
    left: list[Finding] = []
    cut = _cut(new)
    for finding in findings:
        if finding.severity == "noise":
            continue
        if cut is not None and (finding.path, finding.new) in _CUT:
            if f"cut:{cut}{scope}" not in specs:
                specs.append(f"cut:{cut}{scope}")  # a cut stream loses its terminator too
            continue
        spec = _spec(finding, bodies)
        if spec is None:
            left.append(finding)
        elif spec + scope not in specs:
            specs.append(spec + scope)
    return specs, left


def _spec(finding: Finding, bodies: list[Any]) -> str | None:
    path = _split(finding.path)
    if not path or path.startswith("["):
        return None  # the body itself, a stream's frame, or the root array
    if finding.change == "removed":
        return f"drop:{path}"
    if finding.change == "nullable":
        return f"retype:{path}=null"
    if finding.change == "type_changed":
        brought = set(finding.new.split("|")) - set(finding.old.split("|"))
        chosen = [t for t in _TYPES if t in brought]
        return f"retype:{path}={chosen[0]}" if chosen else None
    seen = _values(bodies, path)
    if finding.change == "added":
        value = next(iter(seen), None)
        return None if value is None else f"add:{path}={value}"
    if finding.change == "enum_value":
        value = next((v for v in seen if shown(v) == finding.new), None)
        return None if value is None else f"add:{path}={value}"
    return None


def _split(path: str) -> str:
    """The path an alteration takes: `events[x].a.b` -> `a.b` (every data event is altered)."""
    match = EVENT_ROOT.match(path)
    return path if match is None else path[match.end() :].removeprefix(".")


def _cut(new: Cassette | Body) -> int | None:
    """The whole data events before the first stream of NEW that ends mid-event, if one does."""
    recorded = [i.response.body for i in new.interactions] if isinstance(new, Cassette) else [new]
    for body in recorded:
        if body.kind == "sse":
            stream = sse.parse(body.value)
            if stream.truncated:
                return len(stream.data_events)
    return None


def _values_of(new: Cassette | Body) -> Iterator[Any]:
    """Every JSON value NEW answered: each JSON body, each JSON data event of a stream."""
    recorded = [i.response.body for i in new.interactions] if isinstance(new, Cassette) else [new]
    for body in recorded:
        if body.kind == "json":
            yield body.value
        elif body.kind == "sse":
            for event in sse.parse(body.value).data_events:
                try:
                    yield orjson.loads(event.data or "")
                except orjson.JSONDecodeError:
                    continue


def _values(bodies: list[Any], path: str) -> list[str]:
    """The values (JSON texts) NEW holds at `path`, in the order met, each once."""
    parts = tokens(path)
    found: dict[str, None] = {}
    for value in bodies:
        for item in at(value, parts):
            found.setdefault(json_key(item), None)
    return list(found)
