"""Streamed (SSE) responses as contracts: every event checked, then the sequence.

A stream is read by `provider_contracts.contract.sse`, each event's data checked against its
schema, and the whole sequence against the contract's rules: the terminator is there,
nothing follows it, `first`/`last` events are where they must be, and the named rules
(`provider_contracts.contract.rules`) hold, given the events as parsed here. A truncated
stream is a violation, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from . import sse
from .registry import StreamSpec
from .rules.stream_run import Folded, StreamRun, Takers
from .schemas import SchemaStore
from .violations import Violation, excerpt, schema_violations

__all__ = ["EventData", "StreamCheck", "check_stream"]


EventData = tuple[int, str | None, Any]
"""One data event as it is parsed: its index in the stream, its `event:` name (typed
streams; None for `data`-only ones), and its data parsed as JSON."""


@dataclass(frozen=True, slots=True)
class StreamCheck:
    violations: tuple[Violation, ...]
    events: int
    truncated: bool
    took_error_branch: bool


def _sequence(message: str, event: int | None = None, value: Any = None) -> Violation:
    return Violation(
        kind="sequence",
        message=message,
        excerpt="" if value is None else excerpt(value),
        event=event,
    )


def check_stream(
    text: str | None,
    spec: StreamSpec,
    store: SchemaStore,
    error_key: str | None = None,
    error_schema: Any = None,
    lines: list[str] | None = None,
    fold: Folded | None = None,
) -> StreamCheck:
    """Check one `text/event-stream` body against a stream contract.

    The body is its text, or its stored lines (`Body.lines`; `text` may then be None).
    One pass over the lines frames the events (as `sse.parse` does), checks the
    terminator, parses each event's data once and validates it with validators looked
    up once per stream; the endpoint's named rules take the events as they pass (no
    event is kept: `rules.registry.StreamRun`); then the ends of the stream are checked. `fold` checks the message a fold rule makes of a complete stream.
    """
    reader = _Reader(spec, store, error_key, error_schema)
    rules = StreamRun(spec.rules) if spec.rules else None
    reader.read(_lines(text, lines), rules.takers() if rules is not None else None)
    found = reader.found
    if reader.truncated:
        found.append(
            _sequence("the stream ends mid-event (no blank line after its last event): truncated")
        )
    elif spec.terminator is not None and reader.terminated_at is None:
        found.append(_sequence(f"the stream ends without its {spec.terminator!r} terminator"))
    if not reader.count:
        found.append(_sequence("the stream carries no data events"))
    found.extend(_ends(spec, reader))
    complete = not reader.truncated and (
        spec.terminator is None or reader.terminated_at is not None
    )
    if rules is not None:
        found.extend(rules.end(fold if complete and not reader.errors else None))
    return StreamCheck(
        violations=tuple(found),
        events=reader.count,
        truncated=reader.truncated,
        took_error_branch=bool(reader.errors),
    )


def _lines(text: str | None, stored: list[str] | None) -> list[str]:
    """The lines of an event stream, as the WHATWG rules cut them.

    Stored lines (split at each `\\n`) are those lines unless a `\\r` hides in them: then,
    and for a body given as text, the text is split at CRLF, LF or CR.
    """
    if stored is not None and not [line for line in stored if "\r" in line]:  # 3 ms per 100k
        lines = stored
    else:
        lines = sse.LINES.split(text if text is not None else "\n".join(stored or []))
    if lines and lines[0].startswith("\ufeff"):
        lines = [lines[0][1:], *lines[1:]]
    # A body ending in a line break yields a final "" that is not a blank line of its own.
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


class _Reader:
    """One pass over a stream's lines: events framed, data parsed and validated.

    `read()` gives each data event that parsed as JSON to the rules' `takers`; what it finds on the way (violations, error positions, counts, the
    ends) is on the reader when it is done.
    """

    def __init__(
        self, spec: StreamSpec, store: SchemaStore, error_key: str | None, error_schema: Any
    ) -> None:
        self.spec, self.store, self.error_key, self.error_schema = (
            spec,
            store,
            error_key,
            error_schema,
        )
        self.found: list[Violation] = []
        self.errors: set[int] = set()
        self.count = 0  # data events, the terminator and non-JSON ones included
        self.terminated_at: int | None = None
        self.truncated = False
        self.first: tuple[int, str | None] | None = None  # (index, name) of the first event
        self.last: tuple[int, str | None] | None = None
        self.yielded = 0  # events yielded (parsed as JSON)
        self.first_error: int | None = None  # the stream index of the first error event

    def read(self, lines: list[str], takers: Takers | None) -> None:
        spec, store, found, errors, error_key = (
            self.spec, self.store, self.found, self.errors, self.error_key,
        )  # fmt: skip
        typed = spec.format == "typed"
        terminator = None if typed else spec.terminator
        # Validators looked up once per stream, not once per event.
        event_valid = None if typed or spec.event is None else store.validator(spec.event).is_valid
        error_valid = (
            None if self.error_schema is None else store.validator(self.error_schema).is_valid
        )
        typed_valid = {n: store.validator(ref).is_valid for n, ref in spec.events.items()}
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        take, take_body, reads = takers[:3] if takers is not None else (None, None, ())
        index = count = position = 0  # events (comment-only ones too), data events, taken
        last, last_name = 0, None  # the index and name of the last event taken
        terminated_at: int | None = None
        data: str | None = None
        more: list[str] = []  # the data lines of an event after its first
        name: str | None = None
        pending = False
        for line in lines:
            if line:
                pending = True
                if line.startswith("data:"):
                    value = line[6:] if line[5:6] == " " else line[5:]  # no call, no new string
                    if data is None:
                        data = value
                    else:
                        more.append(value)
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    if field == "event":
                        name = value[1:] if value.startswith(" ") else value
                    elif field == "data":  # a bare `data` line: an empty data line
                        if data is None:
                            data = ""
                        else:
                            more.append("")
                continue
            if data is not None:  # a blank line ends an event that has data
                count += 1
                if more:
                    data = "\n".join([data, *more])
                    more = []
                if terminator is not None and data == terminator:
                    if terminated_at is None:
                        terminated_at = index
                    else:
                        found.append(_sequence(f"a second {terminator!r} terminator", index))
                elif terminated_at is not None:
                    found.append(
                        _sequence(f"data after the {terminator!r} terminator", index, data)
                    )
                else:
                    try:
                        parsed = loads(data)
                    except decode_error:
                        found.append(_not_json(data, index))
                    else:
                        an_object = type(parsed) is dict
                        if typed:
                            is_error = name == "error" or (an_object and error_key in parsed)
                            valid = typed_valid.get(name) if name is not None else None
                            if valid is None or not valid(parsed):
                                found.extend(_typed_event(spec, store, index, name, parsed))
                        else:
                            name = None
                            is_error = an_object and error_key in parsed
                            if is_error and error_valid is not None:
                                if not error_valid(parsed):
                                    found.extend(_invalid(store, self.error_schema, parsed, index))
                            elif event_valid is not None and not event_valid(parsed):
                                found.extend(_invalid(store, spec.event, parsed, index))
                        if is_error:
                            if not errors:
                                self.first_error = index
                            errors.add(position)
                            if takers is not None:
                                takers.error(index, name, parsed)
                        else:
                            if take_body is not None and (
                                not an_object or not reads or not parsed.keys().isdisjoint(reads)
                            ):
                                take_body(index, name, parsed)
                            if take is not None:
                                take(index, name, parsed)
                        if not position:
                            self.first = (index, name)
                        last, last_name = index, name
                        position += 1
            if pending:
                index += 1
            data, name, pending = None, None, False
        if position:
            self.last = (last, last_name)
        self.yielded, self.count, self.terminated_at = position, count, terminated_at
        self.truncated = pending and (data is not None or name is not None)


def _not_json(data: str, index: int) -> Violation:
    return Violation(
        kind="body", message="event data is not JSON", excerpt=excerpt(data), event=index
    )


def _invalid(store: SchemaStore, ref: Any, value: Any, index: int) -> Iterator[Violation]:
    return schema_violations(store.validator(ref), value, index)


def _typed_event(
    spec: StreamSpec, store: SchemaStore, index: int, name: str | None, value: Any
) -> Iterator[Violation]:
    if name is None:
        yield _sequence("an event without an `event:` name", index, value)
        return
    ref = spec.events.get(name)
    if ref is None:
        known = ", ".join(sorted(spec.events))
        yield _sequence(f"unknown event type {name!r} (known: {known})", index)
        return
    yield from schema_violations(store.validator(ref), value, index)


def _ends(spec: StreamSpec, reader: _Reader) -> Iterator[Violation]:
    first, last, errors = reader.first, reader.last, reader.errors
    if first is None or last is None:
        return
    if spec.first is not None and first[1] != spec.first:
        yield _sequence(f"the first event must be {spec.first!r}, not {first[1]!r}", first[0])
    if spec.last is not None and last[1] != spec.last and reader.yielded - 1 not in errors:
        # A stream that ends on an error event took the error branch: no `last` is owed.
        yield _sequence(f"the last event must be {spec.last!r}, not {last[1]!r}", last[0])
    if spec.format == "typed" and errors and min(errors) != reader.yielded - 1:
        yield _sequence("events after an error event", reader.first_error)
