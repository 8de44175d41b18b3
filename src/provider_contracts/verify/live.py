"""Live verification: the probes called now, checked and diffed against the committed cassettes.

The same calls as `contracts record`, recorded into a scratch folder (never into
`cassettes/`), each answer validated against its contract and compared (drift) with the
committed cassette. The result is a `VerifyResult` in mode "live": an endpoint with a
violation or breaking drift fails (exit 1); one that could not be reached is
"unverified" (exit 3), with the reason in its note.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..contract.registry import Endpoint, Registry
from ..contract.schemas import store_for
from ..errors import InputError
from ..files import display
from ..live.caller import RetryPolicy
from ..live.credentials import key_for
from ..live.record import Refreshed, Unreached, record_provider, write
from .offline import EndpointResult, InteractionResult, VerifyResult

__all__ = [
    "NO_COMMITTED",
    "SCRATCH_IN_CASSETTES",
    "keys_for",
    "scratch_folder",
    "verify_live",
]

NO_COMMITTED = "no committed cassette to compare with; `contracts record {provider}` makes one"
SCRATCH_IN_CASSETTES = (
    "--scratch {path}: inside {folder}/, where live results never go; pick a folder "
    "outside it (the default is a new folder under ./scratch/)"
)


def scratch_folder(project_root: Path, cassettes_root: Path, chosen: Path | None) -> Path:
    """Where live recordings go: `chosen`, else a new folder under `PROJECT/scratch/`."""
    if chosen is not None:
        resolved = chosen.resolve()
        for kept in (cassettes_root, project_root / "contracts"):
            real = kept.resolve()
            if resolved == real or real in resolved.parents:
                raise InputError(
                    SCRATCH_IN_CASSETTES.format(path=display(chosen), folder=kept.name)
                )
        chosen.mkdir(parents=True, exist_ok=True)
        return chosen
    parent = project_root / "scratch"
    parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(tempfile.mkdtemp(prefix=f"live-{stamp}-", dir=parent))


def keys_for(
    endpoints: Iterable[Endpoint], registry: Registry, environ: Mapping[str, str]
) -> dict[str, str]:
    """Each provider's key, checked (missing, or a Stripe key outside test mode: exit 2)."""
    names = dict.fromkeys(e.provider for e in endpoints)
    return {name: key_for(registry.provider(name), environ) for name in names}


def verify_live(
    endpoints: Iterable[Endpoint],
    registry: Registry,
    cassettes_root: Path,
    scratch: Path,
    environ: Mapping[str, str],
    *,
    base_urls: Mapping[str, str] | None = None,
    transport: Any = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    log: Callable[[str], None] | None = None,
) -> VerifyResult:
    """Call each endpoint's probe, record into `scratch`, validate and diff.

    Every provider's key is checked before the first call (a missing one is an
    `InputError`, exit 2), so a run never stops halfway for want of a key.
    """
    started = datetime.now(UTC)
    chosen = list(endpoints)
    by_provider: dict[str, list[Endpoint]] = {}
    for endpoint in chosen:
        by_provider.setdefault(endpoint.provider, []).append(endpoint)
    keys = keys_for(chosen, registry, environ)
    store = store_for(registry.root)
    outcomes: dict[str, EndpointResult] = {}
    for name, wanted in by_provider.items():
        provider = registry.provider(name)
        recorded = record_provider(
            provider,
            wanted,
            key=keys[name],
            target=scratch,
            committed=cassettes_root,
            store=store,
            base_url=(base_urls or {}).get(name),
            transport=transport,
            policy=policy,
            sleep=sleep,
            clock=clock,
            log=log,
        )
        write(recorded)
        for item in recorded:
            if item.wanted:
                outcomes[item.endpoint.id] = _result(item)
    results = tuple(outcomes[e.id] for e in chosen)
    elsewhere = {
        name: url.rstrip("/")
        for name, url in (base_urls or {}).items()
        if url.rstrip("/") != registry.provider(name).base_url.rstrip("/")
    }
    return VerifyResult(started, datetime.now(UTC), "live", results, elsewhere)


def _result(item: Refreshed | Unreached) -> EndpointResult:
    endpoint = item.endpoint
    if isinstance(item, Unreached):
        return EndpointResult(endpoint.id, "unverified", note=item.reason)
    shown = display(item.cassette.path)
    check = item.check
    interaction = item.cassette.interactions[0]
    result = InteractionResult.of(interaction, shown, check)
    failed = bool(check.violations) or item.breaking
    note = None if item.previous is not None else NO_COMMITTED.format(provider=endpoint.provider)
    return EndpointResult(
        endpoint.id,
        "fail" if failed else "pass",
        cassettes=(shown,),
        provenance=dict(item.cassette.provenance),
        interactions=(result,),
        note=note,
        drift=item.drift,
    )
