"""A stream's rules run in the pass that reads it: `StreamRun`.

The reader gives each parsed event to the run's `Takers`: body rules get the events
that carry what they read, each family's machine (`registry.Machine`) gets every event,
and rules that name no machine get the events kept in a list. `run_stream` runs the
same over a list of events.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from ..violations import Violation
from .registry import RULES, Chunk, Machine, MachineFor, Rule, body_violations

__all__ = ["Folded", "StreamRun", "Take", "Takers", "replay", "run_stream"]


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
        self.found.extend(body_violations(self.body, value, index))

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
