"""The contract registry: provider manifests and endpoint contracts loaded from `contracts/`.

The layout is described in `contracts/README.md`. Loading reads only the small YAML
files; schemas are read and compiled on first use (`provider_contracts.contract.schemas`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from ..errors import NO_CONTRACTS, ContractError, UnknownName
from ..files import display, read_yaml, size_text
from .fields import FIX as _FIX
from .fields import Fields
from .rules import RULES

__all__ = [
    "Auth",
    "Endpoint",
    "ErrorBranch",
    "Provider",
    "Registry",
    "SchemaRef",
    "StreamSpec",
]

SHARED = "_shared"
CONSUMERS = "consumers"  # what consumers read (provider_contracts.consumers), not a provider
MANIFEST = "provider.yaml"
ENDPOINTS = "endpoints"
_STATUS_KEYS = "a status code such as '200', a class such as '4XX', or 'default'"
PROBE_FIELDS = ("json", "form", "query", "path_params", "headers", "estimated_cost_usd")
PROBE_LIMIT = 64 * 1024  # a probe is the cheapest request an endpoint takes


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema named by a contract: a file under `contracts/` and a JSON pointer in it."""

    root: Path
    file: str  # relative to the contracts root, with forward slashes
    pointer: str  # "" for the whole document, else "/$defs/Name"

    @property
    def path(self) -> Path:
        return self.root / self.file

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}" if self.pointer else self.file


@dataclass(frozen=True, slots=True)
class ErrorBranch:
    """An error body that may arrive under a success status, told apart by a top-level key."""

    key: str
    schema: SchemaRef


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """How a `text/event-stream` success body is read and what its sequence must respect."""

    format: Literal["data", "typed"]
    event: SchemaRef | None
    events: Mapping[str, SchemaRef]
    terminator: str | None
    first: str | None
    last: str | None
    rules: tuple[str, ...]
    folds_into: str | None = None  # the endpoint whose 200 answer the folded stream must be


@dataclass(frozen=True, slots=True)
class Auth:
    env: str
    header: str
    scheme: str | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One endpoint contract: `PROVIDER/ENDPOINT`."""

    provider: str
    name: str
    file: Path
    description: str
    method: str
    path: str
    probe: Mapping[str, Any]
    responses: Mapping[str, SchemaRef]
    headers: Mapping[str, SchemaRef]
    error_branch: ErrorBranch | None
    stream: StreamSpec | None
    volatile: tuple[str, ...]
    rules: tuple[str, ...] = ()  # body rules, run on a success body (contract/rules/)
    folds_into: Endpoint | None = None  # stream.folds_into, resolved

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.name}"

    def schema_for(self, status: int) -> SchemaRef | None:
        """The response schema for a status: exact code, then its class (`4XX`), then `default`."""
        return _by_status(self.responses, status)

    def headers_for(self, status: int) -> SchemaRef | None:
        return _by_status(self.headers, status)

    def is_error_body(self, value: Any) -> bool:
        """Whether a JSON body is this endpoint's error body, the one that may arrive under
        a success status (an object with the error branch's key); False without a branch."""
        branch = self.error_branch
        return branch is not None and isinstance(value, dict) and branch.key in value


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider manifest and its endpoints."""

    name: str
    file: Path
    title: str
    base_url: str
    auth: Auth
    redact: Mapping[str, tuple[str, ...]]
    volatile: tuple[str, ...]
    api_version: str | None
    sources: tuple[Mapping[str, Any], ...]
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    max_age: timedelta | None = None  # a cassette recorded longer ago is stale (a warning)


def _by_status(table: Mapping[str, SchemaRef], status: int) -> SchemaRef | None:
    code = str(status)
    return table.get(code) or table.get(f"{code[0]}XX") or table.get("default")


class Registry:
    """Every provider under one `contracts/` folder, each loaded from disk when first asked for.

    A broken provider folder stops only the commands that need that provider.
    """

    def __init__(self, root: Path, providers: Mapping[str, Provider] | None = None) -> None:
        self.root = root
        self._loaded: dict[str, Provider] = dict(providers or {})
        self._folders: dict[str, Path] = {}
        if providers is None:
            self._folders = {
                p.name: p
                for p in sorted(root.iterdir())
                if p.is_dir() and p.name not in (SHARED, CONSUMERS) and not p.name.startswith(".")
            }

    @classmethod
    def load(cls, root: Path) -> Registry:
        root = Path(root)
        if not root.is_dir():
            raise ContractError(NO_CONTRACTS.format(where=display(root)))
        return cls(root)

    @property
    def names(self) -> list[str]:
        return sorted({*self._folders, *self._loaded})

    @property
    def providers(self) -> dict[str, Provider]:
        return {name: self.provider(name) for name in self.names}

    def provider(self, name: str) -> Provider:
        if name not in self._loaded:
            if name not in self._folders:
                raise UnknownName("provider", name, self.names)
            self._loaded[name] = load_provider(self.root, self._folders[name])
        return self._loaded[name]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        provider_name, sep, name = endpoint_id.partition("/")
        if not sep:
            raise UnknownName("endpoint", endpoint_id, [f"{endpoint_id}/..."])
        provider = self.provider(provider_name)
        try:
            return provider.endpoints[name]
        except KeyError:
            known = [f"{provider_name}/{n}" for n in provider.endpoints]
            raise UnknownName("endpoint", endpoint_id, known) from None

    def endpoints(self) -> list[Endpoint]:
        return [ep for p in self.providers.values() for ep in p.endpoints.values()]

    def endpoint_ids(self) -> list[str]:
        return [ep.id for ep in self.endpoints()]

    def select(self, names: Iterable[str]) -> list[Endpoint]:
        """Endpoints named by `PROVIDER` or `PROVIDER/ENDPOINT`, in the order given."""
        chosen: dict[str, Endpoint] = {}
        for name in names:
            if "/" in name:
                ep = self.endpoint(name)
                chosen[ep.id] = ep
            else:
                for ep in self.provider(name).endpoints.values():
                    chosen[ep.id] = ep
        return list(chosen.values())


# --- loading -------------------------------------------------------------------------------


class _Doc(Fields):
    """A YAML mapping of a contract being read; `schema` names a file under `contracts/`."""

    def schema(self, root: Path, folder: Path, name: str, value: Any) -> SchemaRef:
        if not isinstance(value, str) or not value:
            raise self._fail(name, "must be a schema path such as 'schemas/x.schema.json'")
        file_part, _, pointer = value.partition("#")
        target = (folder / file_part).resolve()
        try:
            relative = target.relative_to(root.resolve())
        except ValueError:
            raise self._fail(name, f"points outside the contracts folder ({value!r})") from None
        if not target.is_file():
            raise self._fail(name, f"names {value!r}, which does not exist")
        return SchemaRef(root=root, file=relative.as_posix(), pointer=pointer)


def load_provider(root: Path, folder: Path) -> Provider:
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ContractError(
            f"{display(folder)}: no {MANIFEST}; every provider folder needs a manifest "
            f"({_FIX}), or `contracts new {folder.name} --openai-compatible ...` writes one"
        )
    doc = _Doc(read_yaml(manifest_path, ContractError), manifest_path)
    auth = doc.sub("auth", required=True)
    redact = doc.sub("redact")
    provider = Provider(
        name=folder.name,
        file=manifest_path,
        title=doc.required("title"),
        base_url=doc.required("base_url").rstrip("/"),
        auth=Auth(
            env=auth.required("env"),
            header=auth.required("header"),
            scheme=auth.optional("scheme"),
        ),
        redact={key: redact.strings(key) for key in ("headers", "query", "body_fields")},
        volatile=doc.strings("volatile"),
        api_version=doc.optional("api_version", (str, int, float)),
        sources=tuple(doc.optional("sources", list, [])),
        max_age=doc.duration("max_age"),
    )
    if not provider.base_url.startswith(("http://", "https://")):
        raise doc._fail("base_url", "must start with http:// or https://")
    for part in (doc, auth, redact):
        part.done()
    endpoints_dir = folder / ENDPOINTS
    files = sorted(endpoints_dir.glob("*.yaml")) if endpoints_dir.is_dir() else []
    if not files:
        raise ContractError(
            f"{display(folder)}: no endpoint contracts in {ENDPOINTS}/; add one "
            f"{ENDPOINTS}/NAME.yaml per endpoint ({_FIX})"
        )
    endpoints = {path.stem: _load_endpoint(root, folder, provider, path) for path in files}
    for name, endpoint in endpoints.items():
        target = endpoint.stream.folds_into if endpoint.stream else None
        if target is not None:
            endpoints[name] = replace(
                endpoint, folds_into=_fold_target(endpoint, endpoints, target)
            )
    return replace(provider, endpoints=endpoints)


def _fold_target(endpoint: Endpoint, endpoints: Mapping[str, Endpoint], name: str) -> Endpoint:
    doc = _Doc({}, endpoint.file, "stream.")
    found = endpoints.get(name)
    if found is None or found.stream is not None or found.schema_for(200) is None:
        others = ", ".join(n for n, e in endpoints.items() if e.stream is None) or "none"
        raise doc._fail(
            "folds_into",
            f"names {name!r}, which is not a non-streamed endpoint of this provider with a "
            f"200 schema (those: {others})",
        )
    return found


def _load_endpoint(root: Path, folder: Path, provider: Provider, path: Path) -> Endpoint:
    doc = _Doc(read_yaml(path, ContractError), path)
    method = doc.required("method").upper()
    if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
        raise doc._fail("method", f"must be an HTTP method, not {method!r}")
    ep_path = doc.required("path")
    if not ep_path.startswith("/"):
        raise doc._fail("path", "must start with '/'")
    responses = _status_table(doc, root, folder, "responses", required=True)
    headers = _status_table(doc, root, folder, "headers", required=False)
    branch = None
    if doc.has("error_branch"):
        sub = doc.sub("error_branch")
        branch = ErrorBranch(
            key=sub.required("key"),
            schema=sub.schema(root, folder, "schema", sub.required("schema")),
        )
        sub.done()
    probe = doc.sub("probe", required=True)
    probe.done(*PROBE_FIELDS)
    if len(repr(probe.data)) > PROBE_LIMIT:
        raise doc._fail("probe", f"is larger than {size_text(PROBE_LIMIT)}; probe with less")
    endpoint = Endpoint(
        provider=provider.name,
        name=path.stem,
        file=path,
        description=doc.required("description"),
        method=method,
        path=ep_path,
        probe=probe.data,
        responses=responses,
        headers=headers,
        error_branch=branch,
        stream=_stream(doc, root, folder) if doc.has("stream") else None,
        volatile=provider.volatile + doc.strings("volatile"),
        rules=_rules(doc, ("body",)),
    )
    doc.done()
    return endpoint


def _status_table(
    doc: _Doc, root: Path, folder: Path, name: str, required: bool
) -> dict[str, SchemaRef]:
    table = doc.sub(name, required=required)
    result = {}
    for key, value in table.data.items():
        key = str(key).upper()
        if not (
            key == "DEFAULT"
            or (len(key) == 3 and key[0] in "12345" and (key[1:].isdigit() or key[1:] == "XX"))
        ):
            raise doc._fail(f"{name}.{key}", f"is not a status: use {_STATUS_KEYS}")
        result["default" if key == "DEFAULT" else key] = table.schema(root, folder, key, value)
    return result


def _stream(doc: _Doc, root: Path, folder: Path) -> StreamSpec:
    sub = doc.sub("stream")
    fmt = sub.required("format")
    if fmt not in ("data", "typed"):
        raise sub._fail("format", f"must be 'data' or 'typed', not {fmt!r}")
    event = events = None
    if fmt == "data":
        event = sub.schema(root, folder, "event", sub.required("event"))
    else:
        table = sub.sub("events", required=True)
        events = {name: table.schema(root, folder, name, v) for name, v in table.data.items()}
    rules = _rules(sub, ("body", "stream", "fold"))
    folds_into = sub.optional("folds_into")
    folding = [r for r in rules if RULES[r].scope == "fold"]
    if folding and folds_into is None:
        raise sub._fail(
            "folds_into",
            f"is needed by the rule {folding[0]!r}: name the "
            "non-streamed endpoint whose answer the folded stream must be",
        )
    for end in ("first", "last"):
        name = sub.optional(end)
        if name is not None and events is not None and name not in events:
            raise sub._fail(end, f"names {name!r}, which is not one of the stream's events")
    spec = StreamSpec(
        format=fmt,
        event=event,
        events=events or {},
        terminator=sub.optional("terminator"),
        first=sub.optional("first"),
        last=sub.optional("last"),
        rules=rules,
        folds_into=folds_into,
    )
    sub.done()
    return spec


def _rules(doc: _Doc, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The rule names of a `rules:` list, each known and of a scope that applies here."""
    rules = doc.strings("rules")
    for rule in rules:
        if rule not in RULES:
            import difflib  # here: only a misnamed rule pays for it (verify's start-up)

            close = difflib.get_close_matches(rule, RULES, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise doc._fail("rules", f"names an unknown rule {rule!r}{hint}")
        if RULES[rule].scope not in scopes:
            raise doc._fail(
                "rules", f"names {rule!r}, a rule of a stream: list it under stream.rules"
            )
    return rules
