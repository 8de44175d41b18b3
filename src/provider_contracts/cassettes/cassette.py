"""Cassettes: vcrpy's recorded interactions, stored so that a pull request reads well.

The file is vcrpy's own cassette dictionary (`version`, `interactions`) as JSON with
sorted keys, bodies stored in the form that reads best (`json`, `sse` lines, `string`,
`base64`; see `cassettes/README.md`) and two keys vcrpy ignores: `provenance` at the top
and `name`/`source` per interaction. `serialize`/`deserialize` make this module a vcrpy
serializer (the package re-exports them): `vcr.register_serializer("contracts", provider_contracts.cassettes)`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..contract.body import Body
from ..errors import CassetteError
from ..files import MAX_CASSETTE, display, read_bytes, write_atomic

__all__ = [
    "WIRE_HEADERS",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "cassette_paths",
    "deserialize",
    "dumps",
    "read",
    "serialize",
    "write",
]

_FIX = "re-record it with `contracts record`, or restore it from git"
# Headers that describe the bytes on the wire, not a body as stored (decoded, whole): they
# are dropped wherever a stored body is sent again (replay, forwarding, the caller).
WIRE_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}
)


# Not frozen: a frozen dataclass's __init__ pays object.__setattr__ per field, half the
# cost of reading a cassette (scripts/bench_verify.py); never assigned after creation.
@dataclass(slots=True, unsafe_hash=True)
class RecordedRequest:
    method: str
    uri: str
    headers: Mapping[str, tuple[str, ...]]
    body: Body


@dataclass(slots=True, unsafe_hash=True)
class RecordedResponse:
    status: int
    reason: str
    headers: Mapping[str, tuple[str, ...]]
    body: Body

    @property
    def content_type(self) -> str:
        return header(self.headers, "content-type") or ""


@dataclass(slots=True, unsafe_hash=True)
class Interaction:
    index: int
    name: str | None
    source: str | None
    request: RecordedRequest
    response: RecordedResponse

    @property
    def label(self) -> str:
        return f"#{self.index} {self.name}" if self.name else f"#{self.index}"


@dataclass(frozen=True, slots=True)
class Cassette:
    path: Path
    provenance: Mapping[str, Any]
    interactions: tuple[Interaction, ...] = field(default_factory=tuple)


def header(headers: Mapping[str, tuple[str, ...]], name: str) -> str | None:
    lowered = name.lower()
    for key, values in headers.items():
        if key.lower() == lowered and values:
            return values[0]
    return None


# --- reading ----------------------------------------------------------------------------


def read(path: Path) -> Cassette:
    """Read one cassette file; anything that is not a cassette is a `CassetteError`."""
    data = read_bytes(path, CassetteError, MAX_CASSETTE, "a cassette")
    where = display(path)
    if not data.strip():
        raise CassetteError(f"{where}: the cassette is empty; {_FIX}")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        detail = exc.args[0]
        raise CassetteError(f"{where}: not a JSON cassette ({detail}); {_FIX}") from exc
    return from_dict(doc, path)


def from_dict(doc: Any, path: Path) -> Cassette:
    where = display(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        raise CassetteError(f"{where}: no `interactions` list, so not a vcrpy cassette; {_FIX}")
    if not doc["interactions"]:
        raise CassetteError(f"{where}: the cassette has no interactions; {_FIX}")
    interactions = tuple(
        _interaction(item, index, where) for index, item in enumerate(doc["interactions"])
    )
    provenance = doc.get("provenance")
    return Cassette(path, provenance if isinstance(provenance, dict) else {}, interactions)


def _interaction(item: Any, index: int, where: str) -> Interaction:
    try:
        request, response = item["request"], item["response"]
        status = response["status"]
        code = status["code"] if isinstance(status, dict) else status
        req_headers = _headers(request.get("headers"))
        resp_headers = _headers(response.get("headers"))
        return Interaction(
            index=index,
            name=item.get("name"),
            source=item.get("source"),
            request=RecordedRequest(
                method=str(request["method"]).upper(),
                uri=str(request["uri"]),
                headers=req_headers,
                body=_body(request.get("body"), header(req_headers, "content-type")),
            ),
            response=RecordedResponse(
                status=int(code),
                reason=str(status.get("message", "")) if isinstance(status, dict) else "",
                headers=resp_headers,
                body=_body(response.get("body"), header(resp_headers, "content-type")),
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        raise CassetteError(
            f"{where}: interaction #{index} is malformed ({type(exc).__name__}: {exc}); it needs request.method, "
            f"request.uri, response.status.code and bodies as in cassettes/README.md"
        ) from exc


def _headers(raw: Any) -> dict[str, tuple[str, ...]]:
    if not raw:
        return {}
    return {
        str(k): tuple(map(str, v)) if isinstance(v, list) else (str(v),) for k, v in raw.items()
    }


def _body(stored: Any, content_type: str | None) -> Body:
    if stored is None:
        return Body("empty", "")
    if isinstance(stored, str):  # vcrpy's request bodies may be bare strings
        return Body.from_raw(stored, content_type)
    if "json" in stored:
        return Body("json", stored["json"])
    if "sse" in stored:
        lines = stored["sse"]
        if not isinstance(lines, list) or not set(map(type, lines)) <= {str}:
            raise TypeError("`sse` must be a list of strings")
        return Body.from_lines(lines)
    if "base64" in stored:
        return Body("bytes", base64.b64decode(stored["base64"], validate=True))
    value = stored["string"]
    if isinstance(value, bytes):
        return Body.from_raw(value, content_type)
    return Body.from_raw(value, content_type) if value else Body("empty", "")


def cassette_paths(cassettes_root: Path, provider: str, endpoint: str) -> list[Path]:
    """The cassette file of an endpoint, or the files of its split folder, in name order."""
    single = cassettes_root / provider / f"{endpoint}.json"
    folder = cassettes_root / provider / endpoint
    paths = [single] if single.is_file() or single.is_symlink() else []  # a broken link: an error
    if folder.is_dir():
        paths.extend(sorted(folder.glob("*.json")))
    return paths


def iter_interactions(paths: list[Path]) -> Iterator[tuple[Cassette, Interaction]]:
    """Interactions file by file, so only one cassette is in memory at a time."""
    for path in paths:
        cassette = read(path)
        for interaction in cassette.interactions:
            yield cassette, interaction


# --- writing ----------------------------------------------------------------------------


def to_dict(cassette: Cassette) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "interactions": [_stored(i) for i in cassette.interactions],
    }
    if cassette.provenance:
        doc["provenance"] = dict(cassette.provenance)
    return doc


def _stored(interaction: Interaction) -> dict[str, Any]:
    req, resp = interaction.request, interaction.response
    item: dict[str, Any] = {
        "request": {
            "method": req.method,
            "uri": req.uri,
            "headers": {k: list(v) for k, v in req.headers.items()},
            "body": req.body.to_stored(),
        },
        "response": {
            "status": {"code": resp.status, "message": resp.reason},
            "headers": {k: list(v) for k, v in resp.headers.items()},
            "body": resp.body.to_stored(),
        },
    }
    if interaction.name:
        item["name"] = interaction.name
    if interaction.source:
        item["source"] = interaction.source
    return item


def dumps(doc: Mapping[str, Any]) -> bytes:
    """The stored text: two-space JSON, sorted keys, one trailing newline."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write(cassette: Cassette) -> None:
    """Replace the cassette file atomically (the old one survives any crash)."""
    write_atomic(cassette.path, dumps(to_dict(cassette)))


# --- the vcrpy serializer ---------------------------------------------------------------


def serialize(cassette_dict: dict[str, Any]) -> str:
    """vcrpy's dictionary (bodies as `{"string": ...}`) to the stored form."""
    items = []
    for index, raw in enumerate(cassette_dict.get("interactions", [])):
        interaction = _interaction(_as_vcr(raw), index, "vcrpy cassette")
        items.append(_stored(interaction))
    return dumps({"version": 1, "interactions": items}).decode()


def deserialize(cassette_string: str) -> dict[str, Any]:
    """The stored form to vcrpy's dictionary, bodies back as `{"string": ...}`."""
    doc = orjson.loads(cassette_string)
    cassette = from_dict(doc, Path("vcrpy cassette"))
    interactions = []
    for interaction in cassette.interactions:
        req, resp = interaction.request, interaction.response
        interactions.append(
            {
                "request": {
                    "method": req.method,
                    "uri": req.uri,
                    "headers": {k: list(v) for k, v in req.headers.items()},
                    "body": None if req.body.kind == "empty" else req.body.raw,
                },
                "response": {
                    "status": {"code": resp.status, "message": resp.reason},
                    "headers": {k: list(v) for k, v in resp.headers.items()},
                    "body": {"string": resp.body.raw},
                },
            }
        )
    return {"version": doc.get("version", 1), "interactions": interactions}


def _as_vcr(raw: dict[str, Any]) -> dict[str, Any]:
    """vcrpy hands request bodies as bare strings or bytes; wrap them like responses."""
    request = dict(raw["request"])
    body = request.get("body")
    if body is not None and not isinstance(body, dict):
        request["body"] = {"string": body}
    return {**raw, "request": request}
