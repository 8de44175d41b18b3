"""Secrets split across the deltas of a stream.

A provider that streams its answer sends a secret in pieces: `"sk-or-v1-01"` in one data
event, `"23..."` in the next. The string fields of the JSON data events are grouped by
their name (`content`, `text`, `arguments`, `partial_json`, ...), joined in order, and
the joined text searched; a hit that spans several events gives one piece to mask in
each of them. A hit inside one event is left to the ordinary scrub of that line.

The fields are read with one regular expression over the stream's text, not by parsing
each event (scrubbing runs on every recorded stream), and searched as written: an
escaped secret (`\\u0073k-...`) is found by the searcher's own decoding, and a piece is
masked in place, in the event's JSON text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Piece", "split_pieces", "with_pieces_masked"]

_FIELD = re.compile(r'"([^"\\]+)":\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of one event's string that carries a piece of a split secret."""

    start: int  # in the stream's text
    end: int
    kind: str
    excerpt: str  # the joined text around the secret, the secret left out


def split_pieces(text: str, spans_of: Callable[[str], list[tuple[int, int, str]]]) -> list[Piece]:
    """Every piece of every secret that `spans_of` finds in the joined string fields of
    the stream's events and that no single event holds whole."""
    if "data:" not in text:
        return []
    groups: dict[str, list[str]] = {}
    for name, value in _FIELD.findall(text):
        groups.setdefault(name, []).append(value)
    hits: dict[str, list[tuple[int, int, str]]] = {}
    for name, values in groups.items():
        if len(set(values)) > 1:  # not one part, nor an id or a name repeated in each event
            found = spans_of("".join(values))
            if found:
                hits[name] = found
    if not hits:
        return []
    places: dict[str, list[tuple[int, str]]] = {}
    for match in _FIELD.finditer(text):
        if match.group(1) in hits:
            places.setdefault(match.group(1), []).append((match.start(2), match.group(2)))
    pieces: list[Piece] = []
    for name, found in hits.items():
        parts = places[name]
        joined = "".join(value for _, value in parts)
        for start, end, kind in found:
            excerpt = joined[max(0, start - 30) : start] + "****" + joined[end : end + 30]
            excerpt = " ".join(excerpt.split())
            carried, offset = [], 0
            for at, value in parts:
                low, high = max(start, offset), min(end, offset + len(value))
                if low < high:
                    carried.append(Piece(at + low - offset, at + high - offset, kind, excerpt))
                offset += len(value)
            if len(carried) > 1:
                pieces.extend(carried)
    return pieces


def with_pieces_masked(text: str, pieces: list[Piece], marker: str) -> str:
    """The stream's text with each piece replaced by `marker`."""
    merged: list[tuple[int, int]] = []
    for piece in sorted(pieces, key=lambda p: p.start):
        if merged and piece.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], piece.end))
        else:
            merged.append((piece.start, piece.end))
    out, position = [], 0
    for start, end in merged:
        out += [text[position:start], marker]
        position = end
    out.append(text[position:])
    return "".join(out)
