"""The rule registry: every semantic and stream rule by name, with what backs it.

A leaf: it imports nothing of the package but `violations`, so the contract loader can
check the rule names an endpoint declares without importing the stream machinery (and
no import cycle can form around it). Each family module registers its rules with the
`rule` decorator; `provider_contracts.contract.rules` imports them all.

A rule receives already-parsed data and never parses anything itself:

- `body` rules get one JSON value: a response body, or, named in a stream's rules,
  each event's data in turn (their violations then carry the event's index);
- `stream` rules get the stream's parsed events (`Chunk`s), in order;
- `fold` rules get the events too and return the one message they fold into (or
  None); the caller validates that message as the provider's non-streamed answer.

A stream or fold rule may name a `machine`: one object, shared by the rules of a family,
fed each event as it is read and keeping only what the rules need (counts, indexes, the
folded message as it grows), so that a stream is checked in one pass with no event kept.
The rule's own function then runs that machine over a list of events; `stream_run`
drives the machines as a stream is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

import jsonschema_rs

from ..violations import Violation, excerpt, pointer

__all__ = [
    "RULES",
    "BodyPlan",
    "Chunk",
    "Machine",
    "Rule",
    "Scope",
    "body_plan",
    "body_violations",
    "broken",
    "rule",
    "run_body",
    "table",
]

Scope = Literal["body", "stream", "fold"]
F = TypeVar("F", bound=Callable[..., Any])
_NOTHING: Any = object()


@dataclass(slots=True)  # not frozen: made once per event, and a frozen init costs double
class Chunk:
    """One data event of a stream that parsed as JSON: its index among the stream's events,
    its `event:` name (typed streams), the parsed data, and whether it is an error."""

    index: int
    name: str | None
    value: Any
    is_error: bool


class Machine(Protocol):
    """The stream and fold rules of a family, run as a stream's events pass."""

    def feed(self, index: int, name: str | None, value: Any) -> None:
        """Take one event that is not an error event."""

    def error(self, index: int, name: str | None, value: Any) -> None:
        """Take one error event (most rules skip them)."""

    def end(self, errored: bool) -> Mapping[str, Iterable[Violation]]:
        """The violations of each stream rule, once every event was fed (`errored`: the
        stream had error events, which were not fed)."""

    def folded(self) -> Any:
        """The message the events fold into (None: they fold into none)."""


MachineFor = Callable[[frozenset[str]], Machine]
"""Makes the machine of the named rules of its family (those it must report)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule and the three things its documentation says: what it checks, why a
    gateway cares, and which provider document backs it."""

    name: str
    scope: Scope
    what: str
    why: str
    source: str
    check: Callable[[Any], Any]
    # A fold rule's top-level members that a stream carries only when asked (usage, with
    # stream_options.include_usage): the folded message may lack them though the
    # non-streamed answer requires them.
    on_request: tuple[str, ...] = ()
    # A body rule's top-level members: a value in which all are absent or null keeps the
    # rule, and is not given to it (most stream events carry no usage). () : any value.
    reads: tuple[str, ...] = ()
    # A body rule's JSON Schema that only values keeping the rule match: checked for all
    # of an endpoint's rules at once by jsonschema-rs, so that a body that keeps them all
    # costs one compiled check instead of a Python walk per rule (tests check that a
    # value matching it never breaks the rule).
    holds_if: Mapping[str, Any] | None = None
    # A stream or fold rule's machine (see the module's documentation).
    machine: MachineFor | None = None


RULES: dict[str, Rule] = {}


def rule(
    name: str,
    *,
    scope: Scope,
    what: str,
    why: str,
    source: str,
    on_request: tuple[str, ...] = (),
    reads: tuple[str, ...] = (),
    holds_if: Mapping[str, Any] | None = None,
    machine: MachineFor | None = None,
) -> Callable[[F], F]:
    """Register the decorated function as the rule `name` (a name is registered once)."""

    def register(check: F) -> F:
        if name in RULES:
            raise ValueError(f"rule {name!r} is registered twice")
        RULES[name] = Rule(
            name, scope, what, why, source, check, on_request, reads, holds_if, machine
        )
        return check

    return register


def broken(
    message: str, at: Sequence[str | int] = (), value: Any = _NOTHING, event: int | None = None
) -> Violation:
    """A rule's violation at a place in the value it checked, in a stream's event `event`
    (the runner names the rule)."""
    return Violation(
        kind="rule",
        message=message,
        instance_path=pointer(at),
        excerpt="" if value is _NOTHING else excerpt(value),
        event=event,
    )


def run_body(names: Iterable[str], value: Any, event: int | None = None) -> list[Violation]:
    """Every violation of the named body rules by one JSON value."""
    return body_plan(tuple(names)).run(value, event)


@dataclass(frozen=True, slots=True)
class BodyPlan:
    """How a list of body rules runs: `vouch`, every rule's `holds_if` in one JSON Schema
    (None: no rule has one), compiled as `guard`; a value that matches it is given only to
    the rules it does not vouch for (`unvouched`)."""

    vouch: Mapping[str, Any] | None
    guard: Callable[[Any], bool] | None
    unvouched: list[Rule]
    every: list[Rule]

    def run(self, value: Any, event: int | None = None) -> list[Violation]:
        """Every violation of the rules by `value`."""
        guard = self.guard
        return body_violations(
            self.unvouched if guard is not None and guard(value) else self.every, value, event
        )

    def run_vouched(self, value: Any) -> list[Violation]:
        """Every violation by a value already known to match `vouch`."""
        return body_violations(self.unvouched, value, None) if self.unvouched else []


_PLANS: dict[tuple[str, ...], BodyPlan] = {}


def body_plan(names: tuple[str, ...]) -> BodyPlan:
    """The plan of a list of body rules (made once per list)."""
    plan = _PLANS.get(names)
    if plan is None:
        every = [RULES[name] for name in names]
        guards = [dict(k.holds_if) for k in every if k.holds_if is not None]
        # Their `$defs` (named apart) go to the root, where their `#/$defs/...` point.
        defs = {name: d for g in guards for name, d in g.pop("$defs", {}).items()}
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": guards,
        }
        if defs:
            schema["$defs"] = defs
        vouch = schema if guards else None
        guard = jsonschema_rs.validator_for(schema).is_valid if guards else None
        unvouched = [k for k in every if k.holds_if is None]
        plan = _PLANS[names] = BodyPlan(vouch, guard, unvouched, every)
    return plan


def body_violations(rules: list[Rule], value: Any, event: int | None) -> list[Violation]:
    violations: list[Violation] = []
    for known in rules:
        if known.reads and type(value) is dict:
            for member in known.reads:
                if value.get(member) is not None:
                    break
            else:
                continue  # nothing the rule reads is there
        found = known.check(value)
        if found:  # an empty list: the common case, and the cheap one
            violations.extend(replace(v, rule=known.name, event=event) for v in found)
    return violations


def table() -> str:
    """The rules as a Markdown table (contracts/README.md carries it)."""
    lines = [
        "| rule | applies to | what it checks | why a gateway cares | source |",
        "|---|---|---|---|---|",
    ]
    scopes = {
        "body": "a JSON body, or each event",
        "stream": "a stream",
        "fold": "a stream, folded",
    }
    for known in sorted(RULES.values(), key=lambda r: (list(scopes).index(r.scope), r.name)):
        cells = (f"`{known.name}`", scopes[known.scope], known.what, known.why, known.source)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
