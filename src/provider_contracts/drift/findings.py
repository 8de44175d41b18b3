"""A drift finding: one classified difference between two recordings, and its JSON form.

`Finding` is the one type a finding has, from the comparison to the reports and back:
the JSON report writes `to_dict()` (field names stable: path, change, old, new,
severity, reason) and the gate reads it back with `Finding.from_dict`, which reads a
severity this version does not know as breaking, so the gate fails closed rather than
let an unknown class through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["CHANGES", "REASONS", "SEVERITIES", "Finding", "one_line", "ordered", "worst"]

SEVERITIES = ("breaking", "risky", "additive", "noise")  # worst first
CHANGES = ("added", "removed", "type_changed", "enum_value", "nullable", "stream")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_LINE = 60  # a shape on one short line

# What a person reads, one line each; kept here so tests can assert them.
REASONS = {
    "added": "a new field",
    "added_closed": "a new field, and the schema allows no other fields here",
    "removed_required": "the schema requires it, and it is gone",
    "removed_partly_required": "the schema requires it, and some elements no longer carry it",
    "removed": "no longer sent; the schema does not require it",
    "removed_partly": "some elements no longer carry it; the schema does not require it",
    "removed_unknown": "no longer sent",
    "removed_partly_unknown": "some elements no longer carry it",
    "type_outside": "the schema allows {allowed} here, not {new}",
    "type_inside": "a type never recorded here before, though the schema allows it",
    "type_unknown": "the type changed",
    "null_outside": "now null, which the schema does not allow",
    "null_inside": "now null at times; the schema allows it, the old recording never had it",
    "null_unknown": "now null at times",
    "enum_outside": "not one of the schema's values ({allowed})",
    "enum_inside": "a value the schema lists, not recorded before",
    "open_new": "a new member of an open set (known: {known}); a person should review it",
    "noise_volatile": "a volatile path: ids, timestamps, generated text and usage vary per call",
    "noise_number": "a volatile number: integer and decimal values alternate",
    "noise_map": "a key of a free-form map: keys are data here, not shape",
    "body_kind": "the body is no longer {old}",
    "branch": "an error body where the old recording had a success body",
    "branch_back": "a success body where the old recording had an error body",
    "terminator_lost": "the stream no longer ends with its terminator",
    "terminator_new": "the stream ends with a terminator it did not have",
    "terminator_changed": "the stream's terminator changed",
    "comments_new": "comment lines appear in the stream (keep-alives); some SSE clients choke on them",
    "comments_gone": "the stream no longer carries comment lines",
    "truncated": "the stream now ends mid-event (truncated)",
    "untruncated": "the stream no longer ends mid-event",
    "event_new_unknown": "an event type the stream contract does not list",
    "event_new_listed": "an event type the contract lists, not recorded before",
    "event_new_error": "the stream now carries an error event",
    "event_new": "a new event type",
    "event_gone_edge": "the contract says the stream {where} with this event",
    "event_gone_data": "the data events of the stream changed kind",
    "event_gone_optional": "an event type the contract does not require, not sent this time",
    "event_gone": "an event type no longer sent",
    "unpaired_new": "a response the old recording has no counterpart for: {what}",
    "unpaired_old": "not answered in the new recording, so not compared: {what}",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between two shapes, classified."""

    path: str  # "choices[].message.content"; "" for the body; "events[NAME]...." in streams
    change: str  # added | removed | type_changed | enum_value | nullable | stream
    old: str  # the old shape ("string", "integer|null", "absent") or value(s)
    new: str
    severity: str  # breaking | risky | additive | noise
    reason: str

    @property
    def location(self) -> str:
        """The path as reports show it: `/` for the body itself."""
        return self.path or "/"

    @property
    def what(self) -> str:
        """The change in words: `type changed` for `type_changed`."""
        return self.change.replace("_", " ")

    @property
    def transition(self) -> str:
        """`string -> number`, or `absent -> string` for a field that appeared."""
        return f"{one_line(self.old)} -> {one_line(self.new)}"

    def to_dict(self) -> dict[str, str]:
        """The finding as the JSON report and `contracts diff --format json` write it."""
        return {
            "path": self.path,
            "change": self.change,
            "old": self.old,
            "new": self.new,
            "severity": self.severity,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A finding read back from a JSON report, this version's or an older one's.

        A missing field reads as empty (`old`/`new` as absent); a severity this version
        does not know reads as breaking. Raises TypeError when `data` is not a mapping.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a drift finding is an object, not {type(data).__name__}")
        severity = data.get("severity")
        return cls(
            path=str(data.get("path") or ""),
            change=str(data.get("change") or "changed"),
            old=_text(data.get("old")),
            new=_text(data.get("new")),
            severity=severity if severity in SEVERITIES else "breaking",
            reason=str(data.get("reason") or ""),
        )


def _text(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return repr(value)


def one_line(value: str, limit: int = _LINE) -> str:
    """A shape or value on one short line: whitespace folded, cut at `limit` characters."""
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def worst(findings: Iterable[Finding]) -> str | None:
    """The worst severity among the findings: breaking > risky > additive > noise."""
    ranks = [_RANK[f.severity] for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by path."""
    return sorted(findings, key=lambda f: (_RANK[f.severity], f.path, f.change, f.new))
