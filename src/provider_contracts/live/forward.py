"""Live mode: a test's requests forwarded to the real provider, every answer checked.

A request is routed to one of the test's endpoints as a replayed one would be (method,
path under the manifest's `base_url`, `stream`), sent to the provider's base URL with
the key from the provider's environment variable in the manifest's auth header, and the
answer is validated against the endpoint's contract: a broken answer is kept, so the
test fails with the report. With a scratch folder, each answer is also written there as
a cassette (`SCRATCH/PROVIDER/ENDPOINT.json`, secrets removed) for `contracts diff`.

`CONTRACTS_BASE_URL_<PROVIDER>` (e.g. `CONTRACTS_BASE_URL_OPENROUTER`) sends a
provider's requests elsewhere, such as a server on 127.0.0.1, with the same path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..cassettes.cassette import (
    WIRE_HEADERS,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    read,
    to_dict,
)
from ..cassettes.mask import Masker
from ..cassettes.scrub import scrub_interaction
from ..contract.body import Body
from ..contract.registry import Endpoint, Provider
from ..contract.validation import validate_response
from ..contract.violations import Violation
from ..errors import ContractError, MissingCredential, UnmatchedRequest
from ..files import write_atomic
from ..project import Project
from ..replay.matching import Candidate, Miss, RequestShape, Route, base_path, match
from ..replay.playback import Recording, event_chunks
from ..words import count
from .credentials import auth_headers, key_for
from .record import origin

__all__ = ["BASE_URL_VAR", "Broken", "Forwarder", "Outgoing", "Scratch", "base_url_for"]

BASE_URL_VAR = "CONTRACTS_BASE_URL_{name}"
BAD_BASE_URL = (
    "{var}={value!r}: not an http(s) URL; set it to a base URL with the manifest's path, "
    "e.g. http://127.0.0.1:8080{path}"
)
LIVE_BROKEN = (
    "{endpoint}: the live answer to {method} {url} (status {status}) breaks its contract: "
    "{violations}"
)
SCRATCH_SOURCE = "pytest --contracts-live"
# Request headers worth keeping in a scratch cassette; everything else (keys, cookies,
# SDK telemetry) is left out. Headers naming a version or beta also stay.
_KEPT_REQUEST_HEADERS = frozenset({"content-type", "accept"})
_VERSIONED = re.compile(r"version|beta", re.IGNORECASE)


def base_url_for(provider: Provider, environ: Mapping[str, str]) -> str:
    """The provider's base URL, or the one `CONTRACTS_BASE_URL_<PROVIDER>` puts instead."""
    var = BASE_URL_VAR.format(name=re.sub(r"[^A-Z0-9]", "_", provider.name.upper()))
    value = environ.get(var, "").strip()
    if not value:
        return provider.base_url
    if not value.startswith(("http://", "https://")):
        raise ContractError(
            BAD_BASE_URL.format(var=var, value=value, path=base_path(provider.base_url))
        )
    return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request on its way to the provider."""

    endpoint: Endpoint
    provider: Provider
    method: str
    url: str
    base_url: str  # the base URL called: the manifest's, or CONTRACTS_BASE_URL_<PROVIDER>
    headers: tuple[tuple[str, str], ...]
    body: bytes
    shape: RequestShape
    secret: str  # the key, so nothing written can carry it


@dataclass(frozen=True, slots=True)
class Broken:
    """A live answer that breaks its contract."""

    endpoint: str
    method: str
    url: str
    status: int
    violations: tuple[Violation, ...]

    @property
    def message(self) -> str:
        lines = [
            LIVE_BROKEN.format(
                endpoint=self.endpoint,
                method=self.method,
                url=self.url,
                status=self.status,
                violations=count(len(self.violations), "violation"),
            )
        ]
        for violation in self.violations:
            lines.extend("  " + line for line in violation.lines("response"))
        return "\n".join(lines)


@dataclass(slots=True)
class Scratch:
    """Fresh answers kept as cassettes under a folder, one file per endpoint.

    A scratch folder (`--contracts-scratch`) holds this session's answers, broken ones
    included, for `contracts diff`. A consumer's own cassettes (`consumer`, the plugin's
    `--contracts-record-mode=new`) are added to: an endpoint's file keeps what earlier
    sessions recorded (and its recording date), and takes only answers that hold their
    contract, since they will be replayed.
    """

    folder: Path
    source: str = SCRATCH_SOURCE
    consumer: bool = False
    _kept: dict[Path, tuple[dict[str, Any], list[Interaction]]] = field(default_factory=dict)

    def add(self, outgoing: Outgoing, interaction: Interaction) -> Path:
        """Append an interaction to its endpoint's cassette, rewritten atomically."""
        endpoint = outgoing.endpoint
        path = self.folder / endpoint.provider / f"{endpoint.name}.json"
        if path not in self._kept:
            earlier = read(path) if self.consumer and path.is_file() else None
            provenance = {
                **origin(outgoing.provider, outgoing.base_url),
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "api_version": outgoing.provider.api_version,
                "source": self.source,
            }
            if earlier is not None:
                provenance = {**provenance, **earlier.provenance}
            self._kept[path] = (provenance, list(earlier.interactions) if earlier else [])
        provenance, kept = self._kept[path]
        kept.append(_renumbered(interaction, len(kept)))
        write_atomic(path, dumps(to_dict(Cassette(path, provenance, tuple(kept)))))
        return path


def _renumbered(interaction: Interaction, index: int) -> Interaction:
    return Interaction(
        index, interaction.name, interaction.source, interaction.request, interaction.response
    )


class Forwarder:
    """Routes, sends (through a transport given by the caller) and checks a test's requests."""

    def __init__(
        self,
        project: Project,
        endpoints: Sequence[str],
        environ: Mapping[str, str],
        scratch: Scratch | None = None,
        test: str | None = None,
    ) -> None:
        registry = project.registry
        self.environ = environ
        self.scratch = scratch
        self.test = test
        self.endpoints = [registry.endpoint(name) for name in endpoints]
        self.providers = {e.provider: registry.provider(e.provider) for e in self.endpoints}
        self.routes = [
            Candidate(Route.of(e, p.base_url, p.redact.get("query", ())), None, e.id, e)
            for e in self.endpoints
            for p in (self.providers[e.provider],)
        ]
        self.broken: list[Broken] = []
        self.misses: list[Miss[Endpoint]] = []
        self.missing: list[str] = []  # a key not in the environment: the test is skipped
        self.answered: list[Recording] = []

    def credentials(self) -> dict[str, str]:
        """Every provider's key, checked (`MissingCredential` names the variable)."""
        return {name: key_for(p, self.environ) for name, p in self.providers.items()}

    def prepare(
        self, method: str, url: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> Outgoing:
        """Where the request goes and with which headers; `UnmatchedRequest` if nowhere."""
        given = list(headers)
        shape = RequestShape.parse(method, url, body, _first(given, "content-type"))
        found = match(self.routes, shape)
        if isinstance(found, Miss):
            self.misses.append(found)
            raise UnmatchedRequest(found.message)
        endpoint = found.payload
        provider = self.providers[endpoint.provider]
        try:
            key = key_for(provider, self.environ)
        except MissingCredential as exc:
            self.missing.append(str(exc))  # an SDK may wrap the error; the plugin reads this
            raise
        auth = auth_headers(provider, key)
        dropped = {"host", "content-length", *(name.lower() for name in auth)}
        sent = [(k, v) for k, v in given if k.lower() not in dropped]
        sent.extend(auth.items())
        target = base_url_for(provider, self.environ)
        remainder = found.route.remainder(shape.path, provider.base_url)
        query = urlsplit(url).query
        return Outgoing(
            endpoint=endpoint,
            provider=provider,
            method=shape.method,
            url=target + remainder + (f"?{query}" if query else ""),
            base_url=target,
            headers=tuple(sent),
            body=body,
            shape=shape,
            secret=key,
        )

    def received(
        self,
        outgoing: Outgoing,
        status: int,
        reason: str,
        headers: Sequence[tuple[str, str]],
        content: bytes,
    ) -> Recording:
        """Check the provider's answer, keep it (scratch), and return it for replay."""
        endpoint, provider = outgoing.endpoint, outgoing.provider
        content_type = _first(headers, "content-type")
        body = Body.from_raw(content, content_type)
        masker = Masker([outgoing.secret])
        redacted = {name.lower() for name in provider.redact.get("headers", ())}
        replayed = tuple((k, v) for k, v in headers if k.lower() not in WIRE_HEADERS | redacted)
        interaction = scrub_interaction(
            Interaction(
                index=0,
                name=self.test,
                source=self.scratch.source if self.scratch is not None else SCRATCH_SOURCE,
                request=RecordedRequest(
                    method=outgoing.method,
                    uri=outgoing.url,
                    headers=_grouped(_kept_request_headers(outgoing)),
                    body=Body.from_raw(outgoing.body, _first(outgoing.headers, "content-type")),
                ),
                response=RecordedResponse(
                    status=status, reason=reason, headers=_grouped(replayed), body=body
                ),
            ),
            provider,
            masker,
        )
        # What is checked is what is kept, as `record` does: the scrubbed answer, so that
        # no excerpt (cut short before any masker could see it whole) carries the key.
        seen = _single((k, masker.text(v)) for k, v in headers)
        checked = validate_response(endpoint, status, interaction.response.body, seen)
        if not checked.ok:
            violations = tuple(masker.violation(v) for v in checked.violations)
            url = interaction.request.uri
            self.broken.append(Broken(endpoint.id, outgoing.method, url, status, violations))
        cassette = Path(interaction.request.uri)
        if self.scratch is not None and (checked.ok or not self.scratch.consumer):
            cassette = self.scratch.add(outgoing, interaction)
        recording = Recording(
            endpoint=endpoint.id,
            cassette=cassette,
            interaction=interaction,
            request=outgoing.shape,
            success=200 <= status < 300 and checked.branch == "success",
            status=status,
            reason=reason,
            headers=replayed,
            content=content,
            events=event_chunks(body.text) if body.kind == "sse" else None,
        )
        self.answered.append(recording)
        return recording


def _first(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _single(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for k, v in headers:
        found.setdefault(k.lower(), v)
    return found


def _grouped(headers: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for k, v in headers:
        found[k] = (*found.get(k, ()), v)
    return found


def _kept_request_headers(outgoing: Outgoing) -> list[tuple[str, str]]:
    probe_headers = outgoing.endpoint.probe.get("headers") or {}
    named = {str(k).lower() for k in probe_headers} if isinstance(probe_headers, dict) else set()
    secret_names = {outgoing.provider.auth.header.lower(), "authorization", "cookie"}
    secret_names |= {h.lower() for h in outgoing.provider.redact.get("headers", ())}
    return [
        (k, v)
        for k, v in outgoing.headers
        if k.lower() not in secret_names
        and (k.lower() in _KEPT_REQUEST_HEADERS | named or _VERSIONED.search(k))
    ]
