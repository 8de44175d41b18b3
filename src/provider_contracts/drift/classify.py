"""Classification: each difference between two shapes, and how much it matters.

Values never matter here; shapes do (see `shape`). deepdiff compares the two shapes
(and the values of the listed sets); each difference becomes a `Finding`, classified against what the endpoint's schema says of its
path (see `schema`: required, typed, enum-constrained, closed):

| change         | breaking                                     | otherwise              |
|----------------|----------------------------------------------|------------------------|
| `added`        | the schema closes the object                 | additive               |
| `removed`      | the schema requires the field                | risky                  |
| `type_changed` | the schema does not allow the new type       | risky                  |
| `nullable`     | the schema does not allow null               | risky                  |
| `enum_value`   | the value is outside the schema's enum/const | risky: a new member of |
|                |                                              | an open set; noise: a  |
|                |                                              | listed value           |
| `stream`       | the stream contract is broken: terminator    | risky: comment lines,  |
|                | lost or unexpected, truncation, an event     | an error event appear; |
|                | type it does not list, its first/last event  | additive: a listed one;|
|                | gone, data events of another kind            | noise: what may go     |

A field that is absent from only some elements (`string -> string|absent`) is `removed`.
Types only narrowing (`string|null -> string`) is not reported: nothing new can reach a
consumer. A path whose container never held an element on one side (an empty list, an
object always null) tells nothing about its fields, so they are not compared.

Enum values are compared only where the schema closes the set (`enum`, `const`) or
marks it open (`x-open-enum`, the known members of a set providers grow: a new member is
risky, for a person to review); elsewhere values are not shape. Without an endpoint the same rules apply minus the
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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..contract.body import Body
from ..contract.registry import Endpoint, SchemaRef
from ..contract.schemas import SchemaStore, store_for
from .events import stream_findings
from .findings import REASONS, Finding, ordered
from .schema import Facts, Place, facts_for, json_key, json_type, place, tokens
from .shape import BODY_KINDS, EVENT_ROOT, Shape, at, error_test, shape_of

__all__ = ["Context", "classify", "compare", "shown", "values"]

# Paths whose values (and optional presence) are noise whatever the manifest says.
_NOISE_KEYS = frozenset({"id", "created", "system_fingerprint"})
_NOISE_UNDER = frozenset({"usage"})
_NUMBERS = frozenset({"integer", "number"})


@dataclass(slots=True)
class Context:
    """What the endpoint knows for bodies of one kind and status: schemas per group, volatile paths.

    The schema of a group (`""` for a JSON body, `events[NAME]` for a stream's events)
    is read on first use, so one context serves every interaction of a recording.
    """

    endpoint: Endpoint | None
    store: SchemaStore | None = None
    status: int = 200
    stream: bool = False  # both bodies are streams and the endpoint has a stream contract
    error: bool = False  # the (JSON) bodies took the error branch
    volatile: tuple[str, ...] = ()
    roots: dict[str, Facts | None] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        endpoint: Endpoint | None,
        store: SchemaStore | None,
        status: int,
        kind: str,
        error: bool,
    ) -> Context:
        """The context for bodies of `kind` (json, sse) under `status`."""
        if endpoint is None:
            return cls(None)
        return cls(
            endpoint,
            store or store_for(endpoint.file.parent.parent.parent),
            status,
            stream=kind == "sse" and endpoint.stream is not None,
            error=error,
            volatile=endpoint.volatile,
        )

    def root(self, group: str) -> Facts | None:
        if group not in self.roots:
            ref = self._ref(group)
            assert self.store is not None or ref is None
            self.roots[group] = facts_for(self.store, ref) if self.store and ref else None
        return self.roots[group]

    def _ref(self, group: str) -> SchemaRef | None:
        endpoint = self.endpoint
        if endpoint is None:
            return None
        error = endpoint.error_branch
        if self.stream:
            spec = endpoint.stream
            assert spec is not None
            match = EVENT_ROOT.fullmatch(group)
            if match is None:
                return None
            name = match.group(1)
            if spec.format == "typed":
                return spec.events.get(name)
            if name == "error" and error is not None:
                return error.schema
            return spec.event
        if group:
            return None
        if self.error and error is not None:
            return error.schema
        if endpoint.stream is None or not 200 <= self.status < 300:
            return endpoint.schema_for(self.status)
        return None  # a JSON success body where a stream was due; no schema reads it

    def split(self, path: str) -> tuple[str, str]:
        """`events[x].a.b` -> (`events[x]`, `a.b`); `a.b` -> (``, `a.b`)."""
        match = EVENT_ROOT.match(path)
        if match is None:
            return "", path
        rest = path[match.end() :]
        return match.group(0), rest[1:] if rest.startswith(".") else rest

    def place(self, path: str) -> Place:
        """What the schema says at `path` (read once per path and context)."""
        found = self.places.get(path)
        if found is None:
            group, rest = self.split(path)
            root = self.root(group)
            found = self.places[path] = Place(None) if root is None else place(root, tokens(rest))
        return found

    def noisy(self, path: str) -> bool:
        _, rest = self.split(path)
        for pattern in self.volatile:
            if rest == pattern or rest.startswith((f"{pattern}.", f"{pattern}[")):
                return True
        parts = [t for t in tokens(rest) if t != "[]"]
        if not parts:
            return False
        last = parts[-1]
        if last in _NOISE_KEYS or last.endswith("_at"):
            return True
        return any(t in _NOISE_UNDER for t in parts[:-1])


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
    is_error = error_test(endpoint)
    old_shape, new_shape = shape_of(old, is_error), shape_of(new, is_error)
    context = Context.of(endpoint, store, status, old_shape.kind, old_shape.error)
    return classify(old_shape, new_shape, context)


def classify(
    old: Shape,
    new: Shape,
    context: Context,
    old_values: Mapping[str, frozenset[str]] | None = None,
    new_values: Mapping[str, frozenset[str]] | None = None,
) -> tuple[Finding, ...]:
    """The findings between two shapes read in one context, worst first.

    `old_values`/`new_values` are `values(shape, context)`, when the caller has them.
    """
    known = context.endpoint is not None
    if old.kind != new.kind:
        old_name, new_name = BODY_KINDS[old.kind], BODY_KINDS[new.kind]
        reason = REASONS["body_kind"].format(old=old_name)
        return (Finding("", "type_changed", old_name, new_name, _sev(known, "risky"), reason),)
    if old.kind not in ("json", "sse"):
        return ()  # text, bytes, empty: values only, no shape
    if old.error != new.error:
        reason = REASONS["branch" if new.error else "branch_back"]
        names = ("success body", "error body")
        severity = _sev(known, "risky")
        return (Finding("", "type_changed", names[old.error], names[new.error], severity, reason),)
    if old_values is None:
        old_values = values(old, context)
    if new_values is None:
        new_values = values(new, context)
    return tuple(ordered(_findings(old, new, context, old_values, new_values)))


def _sev(known: bool, otherwise: str) -> str:
    return "breaking" if known else otherwise


def values(shape: Shape, context: Context) -> dict[str, frozenset[str]]:
    """The values (JSON texts) seen at every path whose schema lists a set of values."""
    found: dict[str, frozenset[str]] = {}
    for path in shape.types:
        node = context.place(path).node
        if node is None or (node.values is None and node.known is None):
            continue
        group, rest = context.split(path)
        parts = tokens(rest)
        seen: set[str] = set()
        for sample_group, value in shape.samples:
            if sample_group == group:
                seen.update(
                    json_key(v) for v in at(value, parts) if not isinstance(v, (dict, list))
                )
        found[path] = frozenset(seen)
    return found


def _findings(
    old: Shape,
    new: Shape,
    context: Context,
    old_values: Mapping[str, frozenset[str]],
    new_values: Mapping[str, frozenset[str]],
) -> Iterator[Finding]:
    from deepdiff import DeepDiff  # ~100 ms to import: only when two shapes differ

    left: dict[str, Any] = {
        "types": old.types,
        "values": {k: set(v) for k, v in old_values.items()},
    }
    right: dict[str, Any] = {
        "types": new.types,
        "values": {k: set(v) for k, v in new_values.items()},
    }
    if left == right and old.stream == new.stream:
        return
    # threshold_to_diff_deeper=0: compare key by key however different the two shapes are
    diff = DeepDiff(left, right, view="tree", threshold_to_diff_deeper=0)
    added = {
        path
        for section, path in map(_key, diff.get("dictionary_item_added", ()))
        if section == "types"
    }
    removed = {
        path
        for section, path in map(_key, diff.get("dictionary_item_removed", ()))
        if section == "types"
    }
    for path in sorted(added):
        if _reported(path, old.types, added):
            yield _added(path, context)
    for path in sorted(removed):
        if _reported(path, new.types, removed):
            yield _removed(path, old.types[path], "absent", context)
    for level in diff.get("values_changed", ()):
        section, path = _key(level)
        if section == "types":
            yield from _changed(path, str(level.t1), str(level.t2), context)
    for level in diff.get("set_item_added", ()):
        section, path = _key(level.up)
        value = str(level.t2)
        # a value of a type new at this path is already a type or nullability finding
        if section == "values" and json_type(orjson.loads(value)) in old.types[path]:
            yield _enum_value(path, value, context, old_values[path])
    if old.stream is not None and new.stream is not None:
        spec = context.endpoint.stream if context.endpoint is not None else None
        yield from stream_findings(old.stream, new.stream, spec)


def _key(level: Any) -> tuple[str, str]:
    parts = level.path(output_format="list")
    return str(parts[0]), str(parts[1]) if len(parts) > 1 else ""


def _parent(path: str) -> tuple[str, bool]:
    """The parent path, and whether `path` is its elements (`[]`) rather than a key."""
    if path.endswith("[]"):
        return path[:-2], True
    match = EVENT_ROOT.fullmatch(path)
    if match is not None:
        return "", False
    cut = path.rfind(".")
    return (path[:cut] if cut >= 0 else ""), False


def _reported(path: str, other: Mapping[str, str], same_side: set[str]) -> bool:
    """Whether an added (removed) path is a finding of its own.

    Not when it is a stream's event group (the stream's findings tell), when its parent
    was added (removed) too (one finding for the subtree), or when the other side
    never held an element or an object at the parent, so it tells nothing either way.
    """
    if EVENT_ROOT.fullmatch(path):
        return False
    parent, elements = _parent(path)
    if parent in same_side or parent not in other:
        return False
    if elements:
        return False  # the other side's lists were always empty
    return "object" in other[parent].split("|")


def _added(path: str, context: Context) -> Finding:
    place = context.place(path)
    if place.closed:
        return Finding(path, "added", "absent", "present", "breaking", REASONS["added_closed"])
    if place.map_key:
        return Finding(path, "added", "absent", "present", "noise", REASONS["noise_map"])
    if context.noisy(path):
        return Finding(path, "added", "absent", "present", "noise", REASONS["noise_volatile"])
    return Finding(path, "added", "absent", "present", "additive", REASONS["added"])


def _removed(path: str, old: str, new: str, context: Context) -> Finding:
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


def _changed(path: str, old: str, new: str, context: Context) -> Iterator[Finding]:
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


def _enum_value(path: str, value: str, context: Context, before: frozenset[str]) -> Finding:
    """A value not recorded before: breaking outside a closed set, risky outside an open one."""
    node = context.place(path).node
    shown_old = "|".join(sorted(shown(v) for v in before)) or "absent"
    shown_new = shown(value)
    if node is not None and node.values is not None and value not in node.values:
        listed = "|".join(sorted(shown(v) for v in node.values)) or "none"
        reason = REASONS["enum_outside"].format(allowed=listed)
        return Finding(path, "enum_value", shown_old, shown_new, "breaking", reason)
    if node is not None and node.known is not None and value not in node.known:
        listed = "|".join(sorted(shown(v) for v in node.known)) or "none"
        reason = REASONS["open_new"].format(known=listed)
        return Finding(path, "enum_value", shown_old, shown_new, "risky", reason)
    return Finding(path, "enum_value", shown_old, shown_new, "noise", REASONS["enum_inside"])


def shown(json_text: str) -> str:
    """A JSON value as a person reads it: strings bare, everything else as JSON."""
    value = orjson.loads(json_text)
    return value if isinstance(value, str) else json_text
