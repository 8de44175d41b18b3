"""Schema facts: what an endpoint's schema says about a path of the body.

A schema is read once into `Facts` trees: per node, the types it allows, the closed
set of values (`enum`, `const`), the known members of an open set (`x-open-enum`, see
contracts/README.md), the required keys, the properties, the items, the map schema
(`additionalProperties: {...}`), whether the object is closed. `allOf` and a `$ref`
beside other keywords meet (both hold); `anyOf`, `oneOf` and `if`/`else` join (one of
them holds: only what every option says is kept). `$ref`s are resolved by the
`referencing` library over the project's schema store, whose retriever answers only for
files under `contracts/`: nothing leaves the folder, nothing is fetched.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import orjson
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from ..contract.registry import SchemaRef
from ..contract.schemas import BASE_URI, SchemaStore
from ..errors import ContractError

__all__ = ["Facts", "Place", "facts_for", "json_key", "json_type", "place", "tokens"]


@dataclass(slots=True)
class Facts:
    """What a schema node says, as far as drift is concerned."""

    types: frozenset[str] | None = None  # None: any type
    values: frozenset[str] | None = None  # the closed set of values (JSON texts); None: open
    known: frozenset[str] | None = None  # the known members of an open set (`x-open-enum`)
    required: frozenset[str] = frozenset()
    properties: dict[str, Facts] = field(default_factory=dict)
    items: Facts | None = None
    additional: Facts | None = None  # the schema of keys not in `properties`: a map
    closed: bool = False  # additionalProperties: false


OPEN_ENUM = "x-open-enum"  # the marker of an open set (contracts/README.md)

_OPEN = Facts()
_FIELDS = tuple(f.name for f in fields(Facts))


def _unconstrained(node: Facts) -> bool:
    return all(getattr(node, name) == getattr(_OPEN, name) for name in _FIELDS)


def json_key(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def json_type(value: Any) -> str:
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


def _meet(a: Facts, b: Facts, depth: int = 0) -> Facts:
    """Both hold (`allOf`, `$ref` beside other keywords)."""
    if a is _OPEN or a is b or depth > _DEPTH:
        return b if a is _OPEN else a
    if b is _OPEN:
        return a
    properties = dict(a.properties)
    for key, sub in b.properties.items():
        properties[key] = _meet(properties[key], sub, depth + 1) if key in properties else sub
    return Facts(
        types=_meet_types(a.types, b.types),
        values=_meet_sets(a.values, b.values),
        known=_meet_sets(a.known, b.known),
        required=a.required | b.required,
        properties=properties,
        items=_both(a.items, b.items, depth),
        additional=_both(a.additional, b.additional, depth),
        closed=a.closed or b.closed,
    )


def _meet_sets(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    return b if a is None else a if b is None else a & b


def _both(a: Facts | None, b: Facts | None, depth: int) -> Facts | None:
    if a is None or b is None:
        return b if a is None else a
    return _meet(a, b, depth + 1)


def _join(options: list[Facts], depth: int = 0) -> Facts:
    """One of them holds (`anyOf`, `oneOf`, `if`/`else`)."""
    if len(options) == 1:
        return options[0]
    if depth > _DEPTH:
        return _OPEN
    types: frozenset[str] | None = frozenset()
    values: frozenset[str] | None = frozenset()
    known: frozenset[str] | None = frozenset()
    required: frozenset[str] | None = None
    keys: dict[str, list[Facts]] = {}
    for option in options:
        types = None if types is None or option.types is None else types | option.types
        values = None if values is None or option.values is None else values | option.values
        known = None if known is None or option.known is None else known | option.known
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
    return Facts(
        types=types,
        values=values,
        known=known,
        required=required or frozenset(),
        properties={key: _join(subs, depth + 1) for key, subs in keys.items()},
        items=_join(items, depth + 1) if items else None,
        additional=_join(additional, depth + 1) if additional else None,
        closed=all(o.closed for o in options),
    )


class _Reader:
    """Reads schemas into `Facts`, each `$ref` resolved by `referencing` over the store."""

    def __init__(self, store: SchemaStore) -> None:
        self.store = store
        self.registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self.done: dict[str, Facts] = {}

    def _retrieve(self, uri: str) -> Resource[Any]:
        url = urldefrag(uri).url
        if url.startswith(BASE_URI):
            self.store.document(url[len(BASE_URI) :])  # missing or broken: its own message
        return Resource.from_contents(self.store.retrieve(uri), default_specification=DRAFT202012)

    def ref(self, uri: str) -> Facts:
        """The facts of the schema at an absolute URI (`BASE_URI` + file + `#` + pointer)."""
        uri = uri.removesuffix("#")
        found = self.done.get(uri)
        if found is not None:
            return found
        # Registered before it is read, so that a recursive `$ref` points back at it.
        node = self.done[uri] = Facts()
        try:
            resolved = self.registry.resolver().lookup(uri)
        except Unresolvable as exc:
            _raise_contract_error(exc)
            return node  # a reference that leads nowhere constrains nothing (lint reports it)
        except AttributeError:
            return node  # a pointer through a keyword that holds no schema (`$defs: {x: [...]}`)
        base = uri.partition("#")[0]
        built = self.node(resolved.contents, base)
        for name in _FIELDS:
            setattr(node, name, getattr(built, name))
        return node

    def follow(self, reference: str, base: str) -> Facts:
        here = posixpath.dirname(base.removeprefix(BASE_URI))
        climbs = posixpath.normpath(posixpath.join(here, reference.partition("#")[0]))
        target = urljoin(base, reference)
        if not target.startswith(BASE_URI) or climbs.startswith("../"):
            return _OPEN  # nothing outside the contracts folder is ever read
        return self.ref(target)

    def node(self, schema: Any, base: str) -> Facts:
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
            values = frozenset([json_key(schema["const"])])
            types = _meet_types(types, frozenset([json_type(schema["const"])]))
        elif isinstance(schema.get("enum"), list):
            values = frozenset(json_key(v) for v in schema["enum"])
            types = _meet_types(types, frozenset(json_type(v) for v in schema["enum"]))
        elif types == frozenset({"null"}):
            values = frozenset({"null"})
        known = schema.get(OPEN_ENUM)
        required = schema.get("required")
        properties = schema.get("properties")
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        additional = schema.get("additionalProperties")
        item_nodes = [self.node(s, base) for s in prefix] if isinstance(prefix, list) else []
        if isinstance(items, dict):
            item_nodes.append(self.node(items, base))
        node = Facts(
            types=types,
            values=values,
            known=frozenset(json_key(v) for v in known) if isinstance(known, list) else None,
            required=frozenset(r for r in required if isinstance(r, str))
            if isinstance(required, list)
            else frozenset(),
            properties={k: self.node(v, base) for k, v in properties.items()}
            if isinstance(properties, dict)
            else {},
            items=_join(item_nodes) if item_nodes else None,
            additional=self.node(additional, base) if isinstance(additional, dict) else None,
            closed=additional is False,
        )
        if isinstance(schema.get("$ref"), str):
            target = self.follow(schema["$ref"], base)
            # A bare `$ref` is its target itself (which may still be being read: a cycle).
            node = target if _unconstrained(node) else _meet(node, target)
        for sub in schema.get("allOf") or ():
            node = _meet(node, self.node(sub, base))
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options:
                node = _meet(node, _join([self.node(s, base) for s in options]))
        if isinstance(schema.get("if"), dict) and ("then" in schema or "else" in schema):
            condition = self.node(schema["if"], base)
            then = (
                _meet(condition, self.node(schema["then"], base)) if "then" in schema else condition
            )
            otherwise = self.node(schema["else"], base) if "else" in schema else _OPEN
            node = _meet(node, _join([then, otherwise]))
        return node


def _raise_contract_error(exc: BaseException) -> None:
    """A schema file that is missing or broken keeps its own message (a `ContractError`)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContractError):
            raise cause
        cause = cause.__cause__ or cause.__context__


_READERS: dict[Path, _Reader] = {}


def facts_for(store: SchemaStore, ref: SchemaRef) -> Facts:
    """The facts of a schema reference, read once per store."""
    reader = _READERS.get(store.root)
    if reader is None or reader.store is not store:
        reader = _READERS[store.root] = _Reader(store)
    return reader.ref(f"{BASE_URI}{ref.file}#{ref.pointer}")


_TOKENS = re.compile(r"\[\]|[^.\[\]]+")


def tokens(path: str) -> list[str]:
    """`choices[].message` -> [`choices`, `[]`, `message`]."""
    return _TOKENS.findall(path)


@dataclass(frozen=True, slots=True)
class Place:
    """What the schema says about one path of the body."""

    node: Facts | None  # None: the schema says nothing about this path
    required: bool = False  # its parent object requires the key
    closed: bool = False  # its parent object allows no other keys
    map_key: bool = False  # a key of a free-form map (additionalProperties)


def place(root: Facts | None, parts: list[str]) -> Place:
    """What `root` says at the path split into `parts` (see `tokens`)."""
    node = root
    parent: Facts | None = None
    for token in parts:
        if node is None:
            return Place(None)
        parent = node
        node = node.items if token == "[]" else node.properties.get(token, node.additional)
    if parent is None or not parts or parts[-1] == "[]":
        return Place(node)
    key = parts[-1]
    return Place(
        node,
        required=key in parent.required,
        closed=parent.closed and key not in parent.properties,
        map_key=key not in parent.properties and parent.additional is not None,
    )
