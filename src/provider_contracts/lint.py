"""Integrity of `contracts/` and `cassettes/`, every problem collected, none fatal to the rest.

Checks: each manifest and endpoint contract loads; each schema file is valid JSON,
declares Draft 2020-12, passes the meta-schema and has every `$ref` resolving to a file
and pointer under `contracts/`; every schema a contract names compiles; every endpoint
has a cassette that reads and is at most `CASSETTE_LIMIT`; no cassette belongs to an
endpoint that does not exist; no `$ref` chain loops without reaching a constraint (such
a schema accepts anything); `contracts/waivers.yaml` holds only waivers the gate accepts.
Manifests and endpoint contracts with unknown or repeated keys, aliases or an oversized
probe do not load, and are reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from .cassettes.cassette import cassette_paths, read
from .contract.registry import CONSUMERS, SHARED, Registry, load_provider
from .contract.schemas import BASE_URI, DIALECT, SchemaStore, iter_refs
from .errors import ContractError, InputError
from .files import MiB, display, size_text
from .gate.waivers import HORIZON, load_waivers

__all__ = ["CASSETTE_LIMIT", "Problem", "lint"]

CASSETTE_LIMIT = 16 * MiB  # a committed cassette is reviewed as a diff
# Keywords that constrain nothing: a schema of these and a `$ref` is only a pointer.
_ANNOTATIONS = frozenset(
    {"$ref", "$schema", "$id", "$anchor", "$comment", "$defs", "title", "description"}
    | {"examples", "default", "deprecated", "readOnly", "writeOnly"}
)
REF_LOOP = (
    "{where}: $ref {ref!r} loops ({chain}) without reaching a constraint, so it accepts "
    "anything; point it at a schema that says something"
)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.message}"
            if not self.message.startswith(self.file)
            else self.message
        )


def lint(
    contracts_root: Path, cassettes_root: Path, waiver_horizon: timedelta = HORIZON
) -> tuple[list[Problem], Registry]:
    findings: list[Problem] = []
    providers = {}
    broken: set[str] = set()
    for folder in sorted(p for p in contracts_root.iterdir() if p.is_dir()):
        if folder.name in (SHARED, CONSUMERS) or folder.name.startswith("."):
            continue
        try:
            providers[folder.name] = load_provider(contracts_root, folder)
        except ContractError as exc:
            broken.add(folder.name)
            findings.append(Problem(display(folder), str(exc)))
    registry = Registry(contracts_root, providers)
    store = SchemaStore(contracts_root)
    compiled: set[str] = set()  # schema refs compiled, and files already found broken
    for path in sorted(contracts_root.rglob("*.json")):
        problems = _schema_file(store, contracts_root, path)
        if problems:  # compiling it again would report the same problem twice
            compiled.add(path.relative_to(contracts_root).as_posix())
        findings.extend(problems)
    for endpoint in registry.endpoints():
        refs = [*endpoint.responses.values(), *endpoint.headers.values()]
        if endpoint.error_branch:
            refs.append(endpoint.error_branch.schema)
        if endpoint.stream:
            refs.extend(endpoint.stream.events.values())
            if endpoint.stream.event:
                refs.append(endpoint.stream.event)
        for ref in refs:
            if str(ref) in compiled or ref.file in compiled:
                continue
            compiled.add(str(ref))
            try:
                store.validator(ref)
            except InputError as exc:
                findings.append(Problem(display(ref.path), str(exc)))
        paths = cassette_paths(cassettes_root, endpoint.provider, endpoint.name)
        if not paths:
            findings.append(
                Problem(
                    display(endpoint.file),
                    f"{endpoint.id} has no cassette; record one with "
                    f"`contracts record {endpoint.provider} --endpoint {endpoint.name}`",
                )
            )
        for cassette in paths:
            try:
                size = cassette.stat().st_size
                if size > CASSETTE_LIMIT:
                    findings.append(
                        Problem(
                            display(cassette),
                            f"{size >> 20} MiB, over the {size_text(CASSETTE_LIMIT)} a "
                            "committed cassette may be; record fewer or smaller answers",
                        )
                    )
                    continue
                read(cassette)
            except InputError as exc:
                findings.append(Problem(display(cassette), str(exc)))
            except OSError as exc:
                findings.append(Problem(display(cassette), f"cannot read ({exc.strerror})"))
    findings.extend(_orphans(registry, cassettes_root, broken))
    waivers = contracts_root / "waivers.yaml"
    if waivers.is_file():
        try:
            load_waivers(waivers, registry.endpoint_ids(), horizon=waiver_horizon)
        except InputError as exc:
            findings.append(Problem(display(waivers), str(exc)))
    return findings, registry


def _schema_file(store: SchemaStore, root: Path, path: Path) -> list[Problem]:
    file = path.relative_to(root).as_posix()
    shown = display(path)
    try:
        doc = store.document(file)
    except InputError as exc:
        return [Problem(shown, str(exc))]
    if not isinstance(doc, dict):
        return []
    found = []
    if doc.get("$schema") != DIALECT:
        found.append(Problem(shown, f'"$schema" must be "{DIALECT}" (Draft 2020-12)'))
    if "$id" in doc:
        found.append(Problem(shown, 'remove "$id": the loader gives each file its identity'))
    error = best_match(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(doc))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append(
            Problem(shown, f"not a valid Draft 2020-12 schema at {where}: {error.message}")
        )
    found.extend(_refs(store, file, doc, shown))
    return found


def _refs(store: SchemaStore, file: str, doc: Any, shown: str) -> list[Problem]:
    def retrieve(uri: str) -> Resource[Any]:
        return Resource.from_contents(store.retrieve(uri), default_specification=DRAFT202012)

    registry: RefRegistry[Any] = RefRegistry(retrieve=retrieve)  # type: ignore[call-arg]
    resolver = registry.resolver(base_uri=f"{BASE_URI}{file}")
    found = []
    for where, ref in iter_refs(doc):
        try:
            loop = _loop(resolver, ref)
            if loop:
                found.append(Problem(shown, REF_LOOP.format(where=where, ref=ref, chain=loop)))
        except Unresolvable as exc:
            root: BaseException = exc
            while root.__cause__ is not None:  # referencing wraps our retriever's reason
                root = root.__cause__
            detail = str(root).replace(BASE_URI, "")
            found.append(Problem(shown, f"{where}: $ref {ref!r} does not resolve ({detail})"))
        except (ValueError, InputError) as exc:
            found.append(Problem(shown, f"{where}: $ref {ref!r} does not resolve ({exc})"))
    return found


def _loop(resolver: Any, ref: str) -> str:
    """The chain of `$ref`s, when following `ref` through schemas that are only a `$ref`
    comes back to where it was; else "" (an error in resolving propagates)."""
    chain = [ref]
    seen: set[int] = set()
    resolved = resolver.lookup(ref)
    while isinstance(resolved.contents, dict) and "$ref" in resolved.contents:
        if not set(resolved.contents) <= _ANNOTATIONS:
            return ""
        if id(resolved.contents) in seen:
            return " -> ".join(chain)
        seen.add(id(resolved.contents))
        chain.append(resolved.contents["$ref"])
        resolved = resolved.resolver.lookup(resolved.contents["$ref"])
    return ""


def _orphans(registry: Registry, cassettes_root: Path, broken: set[str]) -> list[Problem]:
    if not cassettes_root.is_dir():
        return []
    known = set(registry.endpoint_ids())
    found = []
    for path in sorted(cassettes_root.glob("*/*.json")):
        endpoint_id = f"{path.parent.name}/{path.stem}"
        if endpoint_id not in known and path.parent.name not in broken:
            found.append(
                Problem(
                    display(path),
                    f"no contract {endpoint_id} for this cassette; add "
                    f"contracts/{path.parent.name}/endpoints/{path.stem}.yaml or remove the file",
                )
            )
    return found
