"""Secrets split across the deltas of a stream.

A provider that streams its answer sends a secret in pieces: `"sk-or-v1-01"` in one data
event, `"23..."` in the next. The string fields of the JSON data events are grouped by
their name (`content`, `text`, `arguments`, `partial_json`, ...), joined in order, and
the joined text searched; a hit that spans several events gives one piece to mask in
each of them. A hit inside one event is left to the ordinary scrub of that line.

The fields are read with one regular expression per line rather than by parsing and
walking each event (scrubbing runs on every recorded stream); a line is parsed only when
a piece of it must be masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Piece", "split_pieces", "with_pieces_masked"]

Path = tuple[str, int]  # a field's name, and which of the fields so named in the event

_FIELD = re.compile(r'"([^"\\]+)":\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of one event's string that carries a piece of a split secret."""

    line: int  # the data line's index among the stream's lines
    path: Path  # which string field of the event
    start: int
    end: int
    kind: str
    excerpt: str  # the joined text around the secret, the secret left out


def _fields(payload: str) -> Iterator[tuple[Path, str]]:
    seen: dict[str, int] = {}
    for name, raw in _FIELD.findall(payload):
        count = seen[name] = seen.get(name, -1) + 1
        if "\\" in raw:
            try:
                raw = orjson.loads(f'"{raw}"')
            except orjson.JSONDecodeError:
                continue
        yield (name, count), raw


def _payload(line: str) -> str | None:
    if not line.startswith("data:"):
        return None
    payload = line[5:].removeprefix(" ")
    return payload if payload.startswith(("{", "[")) else None


def split_pieces(
    lines: Sequence[str], spans_of: Callable[[str], list[tuple[int, int, str]]]
) -> list[Piece]:
    """Every piece of every secret that `spans_of` finds in the joined strings of the data
    events and that no single event holds whole."""
    groups: dict[str, list[tuple[int, Path, str]]] = {}
    for number, line in enumerate(lines):
        payload = _payload(line)
        if payload is None:
            continue
        for path, value in _fields(payload):
            groups.setdefault(path[0], []).append((number, path, value))
    pieces: list[Piece] = []
    for parts in groups.values():
        if len({value for _, _, value in parts}) < 2:
            continue  # one part, or the same value in each event (an id, a model name)
        joined = "".join(value for _, _, value in parts)
        for start, end, kind in spans_of(joined):
            excerpt = joined[max(0, start - 30) : start] + "****" + joined[end : end + 30]
            excerpt = " ".join(excerpt.split())
            found, offset = [], 0
            for number, path, value in parts:
                low, high = max(start, offset), min(end, offset + len(value))
                if low < high:
                    found.append(Piece(number, path, low - offset, high - offset, kind, excerpt))
                offset += len(value)
            if len(found) > 1:
                pieces.extend(found)
    return pieces


def with_pieces_masked(lines: Sequence[str], pieces: Sequence[Piece], marker: str) -> list[str]:
    """The stream's lines with each piece replaced by `marker` (each changed data line is
    written again as compact JSON)."""
    spans: dict[tuple[int, Path], list[tuple[int, int]]] = {}
    for piece in sorted(pieces, key=lambda p: p.start):
        merged = spans.setdefault((piece.line, piece.path), [])
        if merged and piece.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], piece.end))
        else:
            merged.append((piece.start, piece.end))
    events: dict[int, Any] = {}
    for (number, path), found in spans.items():
        payload = _payload(lines[number]) or "null"
        event = events.setdefault(number, orjson.loads(payload))
        for start, end in reversed(found):
            event = _replaced(event, path, start, end, marker)
        events[number] = event
    masked = list(lines)
    for number, event in events.items():
        line = lines[number]
        payload = _payload(line) or ""
        masked[number] = line[: len(line) - len(payload)] + orjson.dumps(event).decode()
    return masked


def _replaced(event: Any, path: Path, start: int, end: int, marker: str) -> Any:
    """The event with the string of field `path` (name, occurrence) cut and marked."""
    name, wanted = path
    seen = -1

    def walk(value: Any) -> Any:
        nonlocal seen
        if isinstance(value, dict):
            for key, item in value.items():
                if key == name and isinstance(item, str):
                    seen += 1
                    if seen == wanted:
                        value[key] = item[:start] + marker + item[end:]
                        continue
                value[key] = walk(item)
        elif isinstance(value, list):
            value[:] = [walk(item) for item in value]
        return value

    return walk(event)
