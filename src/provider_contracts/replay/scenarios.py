"""Named scenarios: what a gateway must survive, each a few alterations under one name.

`contracts serve --scenario NAME` and `@pytest.mark.contract(..., scenario=NAME)` use
them. Each fault fires once per provider (`*1`), then the provider answers as recorded,
so a gateway's retry or fallback is what the test sees succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import InputError
from .alterations import Alteration, parse
from .altered import TOOL_CALL
from .matching import Candidate
from .playback import Recording

__all__ = ["SCENARIOS", "UNKNOWN_SCENARIO", "Scenario", "scenario"]

UNKNOWN_SCENARIO = "scenario {name!r}: there is no such scenario; the scenarios are: {known}"
T = TypeVar("T", bound="Recording | None")


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    summary: str
    fault: Callable[[str], str]  # provider -> the alteration spec, fired once
    tool_calls: bool = False  # answer streams with a tool call when one is recorded

    def alterations(self, providers: Iterable[str]) -> tuple[Alteration, ...]:
        return tuple(parse(f"{self.fault(p)}@{p}*1") for p in providers)

    def narrow(self, candidates: Sequence[Candidate[T]]) -> list[Candidate[T]]:
        """The candidates the scenario answers from: for `tool_calls`, an endpoint's
        streams with a tool call when it has any."""
        if not self.tool_calls:
            return list(candidates)
        with_tools = {c.route.endpoint for c in candidates if _tool_call(c.payload)}
        return [
            c for c in candidates if c.route.endpoint not in with_tools or _tool_call(c.payload)
        ]


def _tool_call(recording: Any) -> bool:
    events = getattr(recording, "events", None)
    return events is not None and any(TOOL_CALL.search(e.decode("utf-8")) for e in events)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "rate-limited-then-fine",
            "one 429 in the provider's envelope (Retry-After: 1), then the recording",
            lambda provider: "status:429",
        ),
        Scenario(
            "overloaded-then-fine",
            "one overloaded answer (Anthropic 529, others 503), then the recording",
            lambda provider: "status:529" if provider == "anthropic" else "status:503",
        ),
        Scenario(
            "server-error-then-fine",
            "one 500 in the provider's envelope, then the recording",
            lambda provider: "status:500",
        ),
        Scenario(
            "timeout-then-fine",
            "one request never answered (the client's timeout fires), then the recording",
            lambda provider: "hang",
        ),
        Scenario(
            "reset-then-fine",
            "one connection reset, then the recording",
            lambda provider: "reset",
        ),
        Scenario(
            "stream-cut-in-tool-call",
            "a stream with a tool call, cut inside the call's arguments, then whole",
            lambda provider: "cut:tool",
            tool_calls=True,
        ),
    )
}


def scenario(name: str) -> Scenario:
    """The scenario called `name`; an `InputError` naming those that exist."""
    if name not in SCENARIOS:
        raise InputError(UNKNOWN_SCENARIO.format(name=name, known=", ".join(SCENARIOS)))
    return SCENARIOS[name]
