"""Recording: each endpoint's probe called live, scrubbed, validated and diffed.

`record_provider` makes the calls and returns what they showed, one `Refreshed` (or
`Unreached`) per endpoint, without writing anything; `write` then replaces the cassettes
atomically. `contracts record` writes into `cassettes/` only when every call answered;
`contracts verify --live` (`provider_contracts.verify.live`) writes into a scratch folder.

Secrets: the key is sent only in the manifest's auth header. Each answer is scrubbed
(`provider_contracts.cassettes.scrub`) with the key's `Masker`, before it is validated or
diffed, so the key is masked wherever it was echoed back (a header, a body, the URL, a
binary body, a stream) and in whatever encoding; a recording that still holds it is
refused before anything is written or printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .. import jsonpath
from ..cassettes import cassette as cassettes
from ..cassettes.cassette import Cassette, Interaction, cassette_paths
from ..cassettes.mask import Masker
from ..cassettes.scrub import scrub_interaction
from ..contract.registry import Endpoint, Provider
from ..contract.schemas import SchemaStore
from ..contract.validation import BodyResult, validate_recorded
from ..drift.findings import Finding, worst
from ..drift.pairing import compare_interactions
from ..errors import ContractsError, CouldNotVerify
from ..files import write_all
from .caller import Caller, RetryPolicy
from .probes import Probe, plan

if TYPE_CHECKING:
    from ..drift.findings import Finding

__all__ = [
    "KEY_LEFT",
    "NEEDS_UNREACHED",
    "NEEDS_VALUE",
    "Refreshed",
    "Unreached",
    "origin",
    "record_provider",
    "write",
]

NEEDS_UNREACHED = "not called: needs its {param} from {source}, which could not be reached"
NEEDS_VALUE = (
    "not called: needs its {param} from {source}, which answered HTTP {status} without {path}"
)
KEY_LEFT = (
    "{endpoint}: the key from {var} is still in the recording after scrubbing; "
    "nothing was written (add the place it appears to the manifest's redact list)"
)


@dataclass(frozen=True, slots=True)
class Refreshed:
    """One endpoint recorded afresh: its new cassette (not yet written) and what it shows."""

    endpoint: Endpoint
    cassette: Cassette
    previous: Cassette | None  # the committed cassette, when there is one
    check: BodyResult
    drift: tuple[Finding, ...]
    attempts: int
    wanted: bool  # False: recorded only because another probe needed its answer

    @property
    def breaking(self) -> bool:

        return worst(self.drift) == "breaking"


@dataclass(frozen=True, slots=True)
class Unreached:
    """An endpoint whose call got no usable answer (exit 3, nothing written)."""

    endpoint: Endpoint
    reason: str
    wanted: bool


def record_provider(
    provider: Provider,
    endpoints: Iterable[Endpoint],
    *,
    key: str,
    target: Path,
    committed: Path,
    store: SchemaStore,
    base_url: str | None = None,
    transport: Any = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    log: Callable[[str], None] | None = None,
) -> tuple[Refreshed | Unreached, ...]:
    """Call the probes of these endpoints (and those they need); write nothing.

    `target` is the folder the new cassettes are meant for (`cassettes/` or a scratch
    folder), `committed` the folder of the cassettes to diff against.
    """
    probes = plan(provider, endpoints, base_url)
    masker = Masker([key])  # every line and reason that leaves here passes through it
    if log is not None:
        log = _masked_log(log, masker)
    done: dict[str, Refreshed | Unreached] = {}
    answers: dict[str, Interaction] = {}  # unscrubbed, for the ids later probes need
    with Caller(provider, key, transport, policy, sleep, clock, log) as caller:
        for probe in probes:
            name = probe.endpoint.name
            ready = _fill(probe, done, answers)
            if isinstance(ready, str):
                done[name] = Unreached(probe.endpoint, ready, probe.wanted)
                continue
            try:
                sent = caller.send(ready)
            except CouldNotVerify as exc:
                done[name] = Unreached(probe.endpoint, masker.text(str(exc)), probe.wanted)
                continue
            answers[name] = sent.interaction
            done[name] = _recording(
                provider,
                ready,
                sent.interaction,
                sent.attempts,
                key,
                target,
                committed,
                store,
                now(),
            )
    return tuple(done[p.endpoint.name] for p in probes)


def write(recordings: Iterable[Refreshed | Unreached], only_wanted: bool = True) -> list[Path]:
    """Replace every recording's cassette, or none (staged, then renamed); the paths written."""
    chosen = [
        item.cassette
        for item in recordings
        if isinstance(item, Refreshed) and (item.wanted or not only_wanted)
    ]
    write_all({c.path: cassettes.dumps(cassettes.to_dict(c)) for c in chosen})
    return [c.path for c in chosen]


def _masked_log(log: Callable[[str], None], masker: Masker) -> Callable[[str], None]:
    return lambda line: log(masker.text(line))


def _fill(
    probe: Probe, done: Mapping[str, Refreshed | Unreached], answers: Mapping[str, Interaction]
) -> Probe | str:
    """The probe with the ids it needs from earlier answers, or why it cannot be sent."""
    values: dict[str, dict[str, str]] = {"path_params": {}, "query": {}}
    for need in probe.needs:
        if isinstance(done.get(need.endpoint), Unreached) or need.endpoint not in answers:
            return NEEDS_UNREACHED.format(param=need.param, source=need.endpoint)
        response = answers[need.endpoint].response
        value = (
            jsonpath.get(response.body.value, need.path) if response.body.kind == "json" else None
        )
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return NEEDS_VALUE.format(
                param=need.param, source=need.endpoint, status=response.status, path=need.field
            )
        values[need.location][need.param] = str(value)
    return probe.with_params(values["path_params"], values["query"])


def _recording(
    provider: Provider,
    probe: Probe,
    interaction: Interaction,
    attempts: int,
    key: str,
    target: Path,
    committed: Path,
    store: SchemaStore,
    recorded_at: datetime,
) -> Refreshed:
    endpoint = probe.endpoint
    path = target / provider.name / f"{endpoint.name}.json"
    masker = Masker([key])
    scrubbed = scrub_interaction(interaction, provider, masker)
    cassette = Cassette(path, _provenance(provider, probe, recorded_at), (scrubbed,))
    if masker.holds(cassettes.dumps(cassettes.to_dict(cassette)).decode("latin-1")):
        raise ContractsError(KEY_LEFT.format(endpoint=endpoint.id, var=provider.auth.env))
    check = validate_recorded(endpoint, scrubbed.response, store)
    previous = _committed(committed, endpoint)
    drift = tuple(compare_interactions(previous, cassette, endpoint)) if previous else ()
    return Refreshed(endpoint, cassette, previous, check, drift, attempts, probe.wanted)


def _committed(root: Path, endpoint: Endpoint) -> Cassette | None:
    paths = cassette_paths(root, endpoint.provider, endpoint.name)
    if not paths:
        return None
    parts = [cassettes.read(path) for path in paths]
    interactions = tuple(i for part in parts for i in part.interactions)
    return Cassette(parts[0].path, parts[0].provenance, interactions)


def _provenance(provider: Provider, probe: Probe, recorded_at: datetime) -> dict[str, Any]:
    return {
        "recorded_at": recorded_at.astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "api_version": provider.api_version,
        **origin(provider, probe.base_url),
    }


def origin(provider: Provider, called: str) -> dict[str, Any]:
    """Where a recording came from. Live only when the manifest's base_url was called: an
    answer from elsewhere (`--base-url`, `CONTRACTS_BASE_URL_*`, e.g. a `contracts serve`
    on loopback) is no evidence about the provider. The URL is kept without credentials."""
    live = called.rstrip("/") == provider.base_url.rstrip("/")
    return {
        "recorded_live": live,
        "base_url" if live else "recorded_from": _without_userinfo(called),
    }


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
