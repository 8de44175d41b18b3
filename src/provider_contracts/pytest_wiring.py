"""How one test meets the replay: its `contract` markers read, and the replayer (or, with
`--contracts-live`, the forwarder; with `--contracts-record-mode=new`, both) its fixtures
share, made once per test; and the cassettes the session replayed, for the age policy.

Part of the pytest plugin (`pytest_plugin` holds the hooks, options and fixtures). Like
the plugin, it imports only pytest and the standard library at import; the package's
rooms come in when a test first asks for a fixture (each such import is here for that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .contract.registry import Endpoint
    from .live.forward import Forwarder, Scratch
    from .live.transports import LiveTransport
    from .replay.playback import Replayer, Selection
    from .replay.scenarios import Scenario
    from .replay.transports import ReplayTransport

__all__ = [
    "BAD_MARKER",
    "CASSETTES_ARE_CONTRACTS",
    "MARKER",
    "NO_MARKER",
    "RECORD_IS_NOT_LIVE",
    "RECORD_SOURCE",
    "REPLAYED",
    "SCRATCH_IS_CASSETTES",
    "SCRATCH_NEEDS_LIVE",
    "SETTINGS",
    "STALE_HEAD",
    "WIRING",
    "Settings",
    "Wiring",
    "settings",
    "stale",
    "transport",
    "wiring",
]

MARKER = "contract"
NO_MARKER = (
    "{fixture} needs the endpoints the test talks to: add "
    '@pytest.mark.contract("PROVIDER/ENDPOINT") (`contracts list` shows them)'
)
RECORD_SOURCE = "pytest --contracts-record-mode=new"
RECORD_AGAIN = "delete it and run `pytest --contracts-record-mode=new` to record it again"
STALE_HEAD = "contracts: {cassettes} older than the provider's max_age:"
SCRATCH_NEEDS_LIVE = (
    "--contracts-scratch: only live answers are written; add --contracts-live, or drop it"
)
SCRATCH_IS_CASSETTES = (
    "--contracts-scratch {scratch}: that is the committed cassettes folder; pass a scratch "
    "folder (refresh cassettes on purpose with `contracts record`)"
)
RECORD_IS_NOT_LIVE = (
    "--contracts-record-mode=new replays and sends only what no recording answers; "
    "--contracts-live sends everything: use one of them"
)
CASSETTES_ARE_CONTRACTS = (
    "--contracts-cassettes {folder}: that is the contracts' own cassettes folder; give the "
    "consumer's own (default tests/cassettes/ under the rootdir)"
)
BAD_MARKER = (
    "@pytest.mark.contract{args}: {problem}; write "
    '@pytest.mark.contract("PROVIDER/ENDPOINT", ..., interaction=NAME_OR_INDEX)'
)


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path
    live: bool
    scratch: Scratch | None  # live: the scratch folder; record mode: the consumer's cassettes
    cassettes: Path | None = None  # the consumer's own cassettes, replayed after the project's
    record: bool = False  # --contracts-record-mode=new
    strict_age: bool = False


@dataclass(slots=True)
class Wiring:
    """One test's replayer (or live forwarder), shared by its fixtures and read after it ran."""

    replayer: Replayer | None
    forwarder: Forwarder | None
    scenario: Scenario | None = None
    endpoints: dict[str, Endpoint] = field(default_factory=dict)


SETTINGS = pytest.StashKey[Settings]()
WIRING = pytest.StashKey[Wiring]()
REPLAYED = pytest.StashKey[dict[Path, str]]()  # each cassette a test replayed: its endpoint


def settings(config: pytest.Config) -> Settings:
    """The session's settings from its options (and `$CONTRACTS_ROOT`); a bad option is a
    `pytest.UsageError` of one line."""
    from .project import PACKAGED, find_root

    here = config.invocation_params.dir
    given = config.getoption("contracts_root")
    where = f"--contracts-root={given}"
    if not given and os.environ.get("CONTRACTS_ROOT"):
        given = os.environ["CONTRACTS_ROOT"]  # the option wins over the environment
        where = f"CONTRACTS_ROOT={given}"
    if given:
        root = (here / given).resolve()
        if not (root / "contracts").is_dir():
            from .errors import NO_CONTRACTS

            raise pytest.UsageError(NO_CONTRACTS.format(where=where))
    else:
        root = find_root(config.rootpath)
        if not (root / "contracts").is_dir() and (PACKAGED / "contracts").is_dir():
            root = PACKAGED  # a consumer's repository: the contracts the package ships
    live = bool(config.getoption("contracts_live"))
    scratch_option = config.getoption("contracts_scratch")
    scratch = None
    if scratch_option:
        if not live:
            raise pytest.UsageError(SCRATCH_NEEDS_LIVE)
        folder = (here / scratch_option).resolve()
        if folder == (root / "cassettes").resolve():
            raise pytest.UsageError(SCRATCH_IS_CASSETTES.format(scratch=scratch_option))
        from .live.forward import Scratch

        scratch = Scratch(folder)
    record = config.getoption("contracts_record_mode") == "new"
    if record and live:
        raise pytest.UsageError(RECORD_IS_NOT_LIVE)
    given_cassettes = config.getoption("contracts_cassettes")
    if given_cassettes:
        cassettes = (here / given_cassettes).resolve()
    else:
        cassettes = (config.rootpath / "tests" / "cassettes").resolve()
    if cassettes.is_relative_to((root / "cassettes").resolve()):
        shown = given_cassettes or str(cassettes)
        raise pytest.UsageError(CASSETTES_ARE_CONTRACTS.format(folder=shown))
    if record:
        from .live.forward import Scratch

        scratch = Scratch(cassettes, RECORD_SOURCE, consumer=True)
    strict_age = bool(config.getoption("strict_age"))
    return Settings(root, live, scratch, cassettes, record, strict_age)


def wiring(request: pytest.FixtureRequest) -> Wiring:
    item: pytest.Item = request.node
    found = item.stash.get(WIRING, None)
    if found is None:
        found = item.stash[WIRING] = _start(request)
    return found


def _start(request: pytest.FixtureRequest) -> Wiring:
    from .errors import ContractsError, MissingCredential

    try:
        return _started(request)
    except MissingCredential as exc:
        skip, message = True, str(exc)
    except ContractsError as exc:
        skip, message = False, str(exc)
    # Outside the `except` blocks, so the report shows the one line and no chained error.
    if skip:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def _started(request: pytest.FixtureRequest) -> Wiring:
    settings = request.config.stash[SETTINGS]
    selections = _selections(request)
    from .project import project

    chosen = project(settings.root)
    if settings.live:
        from .live.forward import Forwarder

        forwarder = Forwarder(
            chosen,
            [s.endpoint for s in selections],
            os.environ,
            settings.scratch,
            request.node.nodeid,
        )
        forwarder.credentials()  # a missing key skips the test
        return Wiring(None, forwarder)
    from .replay.playback import Replayer, candidates

    found = candidates(chosen, selections, settings.cassettes, missing_ok=settings.record)
    replayed = request.config.stash.setdefault(REPLAYED, {})
    replayed.update((c.payload.cassette, c.payload.endpoint) for c in found)
    named = _scenario(request)
    if named is None and settings.record:
        from .live.forward import Forwarder

        names = [s.endpoint for s in selections]
        forwarder = Forwarder(chosen, names, os.environ, settings.scratch, request.node.nodeid)
        return Wiring(Replayer(found), forwarder)  # a key is needed only once a request misses
    if named is None:
        return Wiring(Replayer(found), None)
    from .replay.scenarios import scenario

    picked = scenario(named)
    endpoints = {s.endpoint: chosen.registry.endpoint(s.endpoint) for s in selections}
    return Wiring(Replayer(picked.narrow(found)), None, picked, endpoints)


def _scenario(request: pytest.FixtureRequest) -> str | None:
    names = {
        m.kwargs["scenario"] for m in request.node.iter_markers(MARKER) if "scenario" in m.kwargs
    }
    if len(names) > 1:
        problem = f"one scenario per test, not {sorted(names)}"
        pytest.fail(BAD_MARKER.format(args="(..., scenario=...)", problem=problem), pytrace=False)
    return names.pop() if names else None


def _selections(request: pytest.FixtureRequest) -> list[Selection]:
    from .replay.playback import Selection

    markers = list(request.node.iter_markers(MARKER))
    if not markers:
        pytest.fail(NO_MARKER.format(fixture=request.fixturename), pytrace=False)
    found: list[Selection] = []
    for marker in markers:
        shown = _shown(marker)
        unknown = set(marker.kwargs) - {"interaction", "scenario"}
        if unknown:
            problem = f"unknown keyword {sorted(unknown)[0]!r}"
            pytest.fail(BAD_MARKER.format(args=shown, problem=problem), pytrace=False)
        if not marker.args:
            problem = "name at least one endpoint"
            pytest.fail(BAD_MARKER.format(args=shown, problem=problem), pytrace=False)
        wanted = marker.kwargs.get("interaction")
        if wanted is not None and (isinstance(wanted, bool) or not isinstance(wanted, int | str)):
            problem = f"interaction= takes a name or an index, not {type(wanted).__name__}"
            pytest.fail(BAD_MARKER.format(args=shown, problem=problem), pytrace=False)
        for name in marker.args:
            if not isinstance(name, str) or "/" not in name:
                problem = f"{name!r} is not a PROVIDER/ENDPOINT id"
                pytest.fail(BAD_MARKER.format(args=shown, problem=problem), pytrace=False)
            found.append(Selection(name, wanted))
    return found


def _shown(marker: pytest.Mark) -> str:
    parts = [repr(a) for a in marker.args] + [f"{k}={v!r}" for k, v in marker.kwargs.items()]
    return f"({', '.join(parts)})"


def transport(request: pytest.FixtureRequest) -> ReplayTransport | LiveTransport:
    exchange = wiring(request)
    from .live.transports import LiveTransport
    from .replay.transports import ReplayTransport

    if exchange.forwarder is not None:
        replay = ReplayTransport(exchange.replayer) if exchange.replayer is not None else None
        return LiveTransport(exchange.forwarder, replay=replay)
    assert exchange.replayer is not None
    if exchange.scenario is None:
        return ReplayTransport(exchange.replayer)
    providers = dict.fromkeys(e.provider for e in exchange.endpoints.values())
    alterations = exchange.scenario.alterations(providers)
    return ReplayTransport(exchange.replayer, alterations, exchange.endpoints)


def stale(config: pytest.Config) -> list[str]:
    """A warning for each cassette replayed this session that is older than its provider's
    `max_age` (`provider.yaml`)."""
    settings = config.stash.get(SETTINGS, None)
    replayed = config.stash.get(REPLAYED, {})
    if settings is None or not replayed:
        return []
    from datetime import UTC, datetime

    from .cassettes.age import RECORD_AGAIN as RECORD_WITH_CONTRACTS
    from .cassettes.age import too_old
    from .project import project
    from .replay.playback import provenance

    registry, now = project(settings.root).registry, datetime.now(UTC)
    found = []
    for path, endpoint_id in sorted(replayed.items()):
        endpoint = registry.endpoint(endpoint_id)
        provider = registry.provider(endpoint.provider)
        if provider.max_age is None:
            continue
        own = settings.cassettes is not None and path.is_relative_to(settings.cassettes)
        fix = (
            RECORD_AGAIN
            if own
            else RECORD_WITH_CONTRACTS.format(provider=provider.name, endpoint=endpoint.name)
        )
        warning = too_old(path, provenance(path), provider, now, fix)
        if warning is not None:
            found.append(warning)
    return found
