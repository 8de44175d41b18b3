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
from .rules import Chunk, run_stream
from .rules.registry import Folded
from .schemas import SchemaStore
from .violations import Violation, excerpt, schema_violations

__all__ = ["StreamCheck", "check_stream"]


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
    text: str,
    spec: StreamSpec,
    store: SchemaStore,
    error_key: str | None = None,
    error_schema: Any = None,
    fold: Folded | None = None,
) -> StreamCheck:
    """Check one `text/event-stream` body against a stream contract; `fold` checks the
    message a fold rule makes of a complete stream."""
    stream = sse.parse(text)
    found: list[Violation] = []
    chunks: list[Chunk] = []
    terminated_at: int | None = None
    for event in stream.data_events:
        data = event.data
        assert data is not None
        if spec.terminator is not None and data == spec.terminator and spec.format == "data":
            if terminated_at is None:
                terminated_at = event.index
            else:
                found.append(_sequence(f"a second {spec.terminator!r} terminator", event.index))
            continue
        if terminated_at is not None:
            found.append(
                _sequence(f"data after the {spec.terminator!r} terminator", event.index, data)
            )
            continue
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            found.append(
                Violation(
                    kind="body",
                    message="event data is not JSON",
                    excerpt=excerpt(data),
                    event=event.index,
                )
            )
            continue
        name = event.event if spec.format == "typed" else None
        is_error = (error_key is not None and isinstance(value, dict) and error_key in value) or (
            name == "error"
        )
        chunks.append(Chunk(event.index, name, value, is_error))
        if spec.format == "typed":
            found.extend(_typed_event(spec, store, event, value))
        else:
            validator = store.validator(error_schema if is_error and error_schema else spec.event)  # type: ignore[arg-type]
            found.extend(schema_violations(validator, value, event.index))
    took_error = any(c.is_error for c in chunks)
    if stream.truncated:
        found.append(
            _sequence("the stream ends mid-event (no blank line after its last event): truncated")
        )
    elif spec.terminator is not None and terminated_at is None:
        found.append(_sequence(f"the stream ends without its {spec.terminator!r} terminator"))
    if not stream.data_events:
        found.append(_sequence("the stream carries no data events"))
    found.extend(_ends(spec, chunks, took_error))
    complete = not stream.truncated and (spec.terminator is None or terminated_at is not None)
    found.extend(run_stream(spec.rules, chunks, fold if complete and not took_error else None))
    return StreamCheck(
        violations=tuple(found),
        events=len(stream.data_events),
        truncated=stream.truncated,
        took_error_branch=took_error,
    )


def _typed_event(
    spec: StreamSpec, store: SchemaStore, event: sse.Event, value: Any
) -> Iterator[Violation]:
    if event.event is None:
        yield _sequence("an event without an `event:` name", event.index, value)
        return
    ref = spec.events.get(event.event)
    if ref is None:
        known = ", ".join(sorted(spec.events))
        yield _sequence(f"unknown event type {event.event!r} (known: {known})", event.index)
        return
    yield from schema_violations(store.validator(ref), value, event.index)


def _ends(spec: StreamSpec, chunks: list[Chunk], took_error: bool) -> Iterator[Violation]:
    if not chunks:
        return
    if spec.first is not None and chunks[0].name != spec.first:
        yield _sequence(
            f"the first event must be {spec.first!r}, not {chunks[0].name!r}", chunks[0].index
        )
    if spec.last is not None and chunks[-1].name != spec.last and not chunks[-1].is_error:
        # A stream that ends on an error event took the error branch: no `last` is owed.
        yield _sequence(
            f"the last event must be {spec.last!r}, not {chunks[-1].name!r}", chunks[-1].index
        )
    if spec.format == "typed":
        yield from _error_is_last(chunks, took_error)


def _error_is_last(chunks: list[Chunk], took_error: bool) -> Iterator[Violation]:
    if not took_error:
        return
    errors = [c for c in chunks if c.is_error]
    if errors[0] is not chunks[-1]:
        yield _sequence("events after an error event", errors[0].index)
