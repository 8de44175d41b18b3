"""Secrets split across the deltas of a stream.

A provider that streams its answer sends a secret in pieces: `"sk-or-v1-01"` in one data
event, `"23..."` in the next. The strings of the JSON data events are grouped by where
they sit in the event (`choices/0/delta/content`), joined in order, and the joined text
searched; a hit that spans several events gives one piece to mask in each of them. A hit
inside one event is left to the ordinary scrub of that line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Piece", "split_pieces", "with_pieces_masked"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of one event's string that carries a piece of a split secret."""

    line: int  # the data line's index among the stream's lines
    path: Path  # where the string sits in the event's JSON
    start: int
    end: int
    kind: str
    excerpt: str  # the joined text around the secret, the secret left out


def _strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


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
    groups: dict[Path, list[tuple[int, str]]] = {}
    for number, line in enumerate(lines):
        payload = _payload(line)
        if payload is None:
            continue
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        for path, value in _strings(event):
            groups.setdefault(path, []).append((number, value))
    pieces: list[Piece] = []
    for path, parts in groups.items():
        if len(parts) < 2:
            continue
        joined = "".join(value for _, value in parts)
        for start, end, kind in spans_of(joined):
            excerpt = joined[max(0, start - 30) : start] + "****" + joined[end : end + 30]
            excerpt = " ".join(excerpt.split())
            found, offset = [], 0
            for number, value in parts:
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


def _replaced(value: Any, path: Path, start: int, end: int, marker: str) -> Any:
    if not path:
        return value[:start] + marker + value[end:]
    head, rest = path[0], path[1:]
    value[head] = _replaced(value[head], rest, start, end, marker)
    return value
