"""Stream structure: how the frame of a stream changed (terminator, comments, truncation, events).

The data inside the events is compared as shapes, like any JSON body; this is the rest.
With a stream contract, losing what it promises (the terminator, a complete last event,
its first or last event, its kind of data events) is breaking and an event type it does
not list is breaking; without one, the same changes are risky.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..contract.registry import StreamSpec
from .findings import REASONS, Finding

__all__ = ["stream_findings"]


def stream_findings(
    old: Mapping[str, Any], new: Mapping[str, Any], spec: StreamSpec | None
) -> Iterator[Finding]:
    """The findings between two stream structures (see `shape.Shape.stream`)."""
    for key in ("terminator", "comments", "truncated"):
        if old[key] != new[key]:
            yield from _structure(key, old[key], new[key], spec)
    for group in sorted(new["events"] - old["events"]):
        yield _event_added(group, spec)
    for group in sorted(old["events"] - new["events"]):
        yield _event_removed(group, spec)


def _structure(key: str, old: Any, new: Any, spec: StreamSpec | None) -> Iterator[Finding]:
    path = f"stream.{key}"
    severity = "breaking" if spec is not None else "risky"
    if key == "terminator":
        before, after = old or "absent", new or "absent"
        if not new:
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_lost"])
        elif not old:
            expected = spec is not None and spec.terminator == new
            severity = "additive" if expected else "risky" if spec is None else "breaking"
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_new"])
        else:
            yield Finding(path, "stream", before, after, severity, REASONS["terminator_changed"])
    elif key == "comments":
        before, after = ("present", "absent") if old else ("absent", "present")
        kind = ("risky", "comments_new") if new else ("noise", "comments_gone")
        yield Finding(path, "stream", before, after, kind[0], REASONS[kind[1]])
    elif key == "truncated":
        before, after = ("truncated", "complete") if old else ("complete", "truncated")
        kind = (severity, "truncated") if new else ("noise", "untruncated")
        yield Finding(path, "stream", before, after, kind[0], REASONS[kind[1]])


def _event_added(group: str, spec: StreamSpec | None) -> Finding:
    name = group[len("events[") : -1]
    if name == "error":
        severity, reason = "risky", "event_new_error"
    elif spec is None:
        severity, reason = "risky", "event_new"
    elif spec.format == "typed" and name in spec.events:
        severity, reason = "additive", "event_new_listed"
    else:
        severity, reason = "breaking", "event_new_unknown"
    return Finding(group, "stream", "absent", "present", severity, REASONS[reason])


def _event_removed(group: str, spec: StreamSpec | None) -> Finding:
    name = group[len("events[") : -1]
    if name == "error":
        severity, reason = "noise", REASONS["event_gone_optional"]
    elif spec is None:
        severity, reason = "risky", REASONS["event_gone"]
    elif spec.format == "typed" and name in (spec.first, spec.last):
        where = "begins" if name == spec.first else "ends"
        severity, reason = "breaking", REASONS["event_gone_edge"].format(where=where)
    elif spec.format == "typed":
        severity, reason = "noise", REASONS["event_gone_optional"]
    else:
        severity, reason = "breaking", REASONS["event_gone_data"]
    return Finding(group, "stream", "present", "absent", severity, reason)
