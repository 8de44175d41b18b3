"""Server-sent events: a `text/event-stream` body split into events, as browsers read it.

Follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; a blank line ends
an event; `:` starts a comment (kept here, since keep-alive comments are part of what a
provider sends); `data` lines of one event are joined with newlines; one space after the
colon is dropped. A body that stops before the blank line ending its last event is
*truncated*: the parser says so instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Event", "Stream", "looks_like_sse", "parse", "split_events"]

LINES = re.compile(r"\r\n|\n|\r")
_EVENT_END = re.compile(r"\r\n\r\n|\n\n|\r\r")


@dataclass(frozen=True, slots=True)
class Event:
    """One dispatched event (or a run of comment lines, which has no data)."""

    index: int
    line: int  # 1-based line of the event's first line in the body
    event: str | None  # the `event:` field; None means the default type "message"
    data: str | None  # the joined `data:` lines; None when the event had none
    comments: tuple[str, ...]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Stream:
    events: tuple[Event, ...]
    truncated: bool  # the body ended inside an event (no blank line after it)

    @property
    def data_events(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.data is not None)


def split_events(text: str) -> list[str]:
    """The body cut after each blank line, one piece per event, as a server sends them.

    Lossless: the pieces joined are the body, a trailing unfinished event included.
    """
    pieces: list[str] = []
    start = 0
    for end in _EVENT_END.finditer(text):
        pieces.append(text[start : end.end()])
        start = end.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def looks_like_sse(text: str) -> bool:
    head = text.lstrip("\ufeff")[:64].lstrip("\r\n")
    return head.startswith(("data:", "event:", ":", "id:", "retry:"))


def parse(text: str) -> Stream:
    events: list[Event] = []
    data: list[str] = []
    comments: list[str] = []
    event_type: str | None = None
    event_id: str | None = None
    start = 0
    pending = False
    lines = LINES.split(text.removeprefix("\ufeff"))
    # A body ending in a line break yields a final "" that is not a blank line of its own.
    ended_with_break = len(lines) > 1 and lines[-1] == ""
    if ended_with_break:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line:
            if pending:
                events.append(
                    Event(
                        index=len(events),
                        line=start,
                        event=event_type,
                        data="\n".join(data) if data else None,
                        comments=tuple(comments),
                        id=event_id,
                    )
                )
            data, comments, event_type, event_id, pending = [], [], None, None, False
            continue
        if not pending:
            start, pending = number, True
        if line.startswith(":"):
            comments.append(line[1:].strip())
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id":
            event_id = value
        # `retry` and unknown fields are ignored, as the standard says.
    truncated = pending and (bool(data) or event_type is not None)
    if pending and not truncated:
        # Trailing comment lines with no blank line after them carry nothing to lose.
        events.append(Event(len(events), start, None, None, tuple(comments), event_id))
    return Stream(events=tuple(events), truncated=truncated)
