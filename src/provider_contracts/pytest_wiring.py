"""How one test meets the replay: its `contract` markers read, and the replayer (or, with
`--contracts-live`, the forwarder) its fixtures share, made once per test.

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
    "MARKER",
    "NO_MARKER",
    "SETTINGS",
    "WIRING",
    "Settings",
    "Wiring",
    "transport",
    "wiring",
]

MARKER = "contract"
NO_MARKER = (
    "{fixture} needs the endpoints the test talks to: add "
    '@pytest.mark.contract("PROVIDER/ENDPOINT") (`contracts list` shows them)'
)
BAD_MARKER = (
    "@pytest.mark.contract{args}: {problem}; write "
    '@pytest.mark.contract("PROVIDER/ENDPOINT", ..., interaction=NAME_OR_INDEX)'
)


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path
    live: bool
    scratch: Scratch | None


@dataclass(slots=True)
class Wiring:
    """One test's replayer (or live forwarder), shared by its fixtures and read after it ran."""

    replayer: Replayer | None
    forwarder: Forwarder | None
    scenario: Scenario | None = None
    endpoints: dict[str, Endpoint] = field(default_factory=dict)


SETTINGS = pytest.StashKey[Settings]()
WIRING = pytest.StashKey[Wiring]()


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

    found = candidates(chosen, selections)
    named = _scenario(request)
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
        return LiveTransport(exchange.forwarder)
    assert exchange.replayer is not None
    if exchange.scenario is None:
        return ReplayTransport(exchange.replayer)
    providers = dict.fromkeys(e.provider for e in exchange.endpoints.values())
    alterations = exchange.scenario.alterations(providers)
    return ReplayTransport(exchange.replayer, alterations, exchange.endpoints)
