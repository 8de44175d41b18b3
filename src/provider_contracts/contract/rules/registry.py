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
The rule's own function then runs that machine over a list of events.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

import jsonschema_rs

from ..violations import Violation, excerpt, pointer

__all__ = [
    "RULES",
    "BodyPlan",
    "Chunk",
    "Machine",
    "Rule",
    "Scope",
    "StreamRun",
    "Takers",
    "body_plan",
    "broken",
    "rule",
    "run_body",
    "run_stream",
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
        return _body(
            self.unvouched if guard is not None and guard(value) else self.every, value, event
        )

    def run_vouched(self, value: Any) -> list[Violation]:
        """Every violation by a value already known to match `vouch`."""
        return _body(self.unvouched, value, None) if self.unvouched else []


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


def _body(rules: list[Rule], value: Any, event: int | None) -> list[Violation]:
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


Folded = Callable[[Any], Iterable[Violation]]
Take = Callable[[int, "str | None", Any], None]


def run_stream(
    names: Iterable[str], chunks: Sequence[Chunk], fold: Folded | None = None
) -> Iterator[Violation]:
    """Every violation of the named rules by a stream's events.

    Body rules run on each event that is not an error; fold rules run only when `fold`
    is given (a complete stream that took no error branch), which checks the message.
    """
    run = StreamRun(tuple(names))
    errors = {position for position, chunk in enumerate(chunks) if chunk.is_error}
    run.read(((c.index, c.name, c.value) for c in chunks), errors)
    return run.end(fold)


def replay(machine: MachineFor, name: str, chunks: Iterable[Chunk]) -> Machine:
    """The machine of the rule `name`, fed a list of events (a rule's own function)."""
    made = machine(frozenset((name,)))
    for chunk in chunks:
        (made.error if chunk.is_error else made.feed)(chunk.index, chunk.name, chunk.value)
    return made


class _Listed:
    """The machine of rules that name none: the events kept, the rules run at the end."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules, self.chunks = rules, list[Chunk]()

    def feed(self, index: int, name: str | None, value: Any) -> None:
        self.chunks.append(Chunk(index, name, value, False))

    def error(self, index: int, name: str | None, value: Any) -> None:
        self.chunks.append(Chunk(index, name, value, True))

    def end(self, errored: bool) -> Mapping[str, Iterable[Violation]]:
        return {k.name: k.check(self.chunks) for k in self.rules if k.scope == "stream"}

    def folded(self) -> Any:
        return None  # each fold rule folds on its own (`StreamRun.end`)


class Takers(NamedTuple):
    """What a stream's reader gives its events to, in order: `error` takes each error
    event; of the others, `body` (when not None) takes each that is not a JSON object or
    has a top-level key in `reads` (any event when `reads` is empty), and then `event`
    (when not None) takes every one."""

    event: Take | None
    body: Take | None
    reads: tuple[str, ...]
    error: Take


class StreamRun:
    """The named rules of one stream, run in the pass that reads it: `read` takes the
    events as they are parsed, `end` gives the violations."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.rules = rules = [RULES[name] for name in names]
        self.body = [known for known in rules if known.scope == "body"]
        # What any body rule reads, looked up once per event: most events carry none of it.
        self.reads = (
            ()
            if any(not k.reads for k in self.body)
            else tuple({m for k in self.body for m in k.reads})
        )
        wanted: dict[Any, set[str]] = {}
        self.unmachined = [k for k in rules if k.scope != "body" and k.machine is None]
        for known in rules:
            if known.scope != "body" and known.machine is not None:
                wanted.setdefault(known.machine, set()).add(known.name)
        self.machines: dict[Any, Machine] = {
            made: made(frozenset(names_)) for made, names_ in wanted.items()
        }
        self.listed = _Listed(self.unmachined) if self.unmachined else None
        self.found: list[Violation] = []
        self.errored = False

    def read(self, events: Iterable[tuple[int, str | None, Any]], errors: Collection[int]) -> None:
        """Feed the rules every event; `errors` holds the positions (among `events`) of
        error events."""
        takers = self.takers()
        for position, (index, name, value) in enumerate(events):
            if position in errors:
                takers.error(index, name, value)
                continue
            if takers.body is not None and (
                not takers.reads
                or type(value) is not dict
                or not value.keys().isdisjoint(takers.reads)
            ):
                takers.body(index, name, value)
            if takers.event is not None:
                takers.event(index, name, value)

    def takers(self) -> Takers:
        """What a reader gives each event to (see `Takers`)."""
        feeds = [m.feed for m in self.machines.values()]
        if self.listed is not None:
            feeds.append(self.listed.feed)
        event: Take | None = None
        if len(feeds) == 1:
            event = feeds[0]
        elif feeds:

            def event(index: int, name: str | None, value: Any) -> None:
                for feed in feeds:
                    feed(index, name, value)

        return Takers(event, self._body if self.body else None, self.reads, self._error)

    def _body(self, index: int, name: str | None, value: Any) -> None:
        if self.reads and type(value) is dict:
            for member in self.reads:
                if value.get(member) is not None:
                    break
            else:
                return  # nothing a body rule reads is there
        self.found.extend(_body(self.body, value, index))

    def _error(self, index: int, name: str | None, value: Any) -> None:
        self.errored = True
        for machine in self.machines.values():
            machine.error(index, name, value)
        if self.listed is not None:
            self.listed.error(index, name, value)

    def end(self, fold: Folded | None) -> Iterator[Violation]:
        """The violations, rule by rule (body rules first, event by event); fold rules
        only when `fold` is given."""
        yield from self.found
        ended = {made: m.end(self.errored) for made, m in self.machines.items()}
        listed = self.listed.end(self.errored) if self.listed is not None else {}
        for known in self.rules:
            name = known.name
            if known.scope == "stream":
                by_rule = listed if known.machine is None else ended[known.machine]
                for found in by_rule.get(name, ()):
                    yield replace(found, rule=name)
            elif known.scope == "fold" and fold is not None:
                if known.machine is None:
                    message = known.check(self.listed.chunks if self.listed else [])
                else:
                    message = self.machines[known.machine].folded()
                if message is not None:
                    for found in fold(message):
                        if _not_asked_for(known, message, found):
                            continue
                        inner = f" (rule {found.rule})" if found.rule else ""
                        yield replace(
                            found,
                            kind="rule",
                            rule=name,
                            event=None,
                            message=f"the message the stream folds into{inner}: {found.message}",
                        )


def _not_asked_for(known: Rule, message: Any, found: Violation) -> bool:
    """Whether `found` only says the folded message lacks a member the stream was not
    asked to carry."""
    return (
        found.instance_path == ""
        and found.schema_path.endswith("/required")
        and any(found.message.startswith(f'"{m}" ') and m not in message for m in known.on_request)
    )


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
