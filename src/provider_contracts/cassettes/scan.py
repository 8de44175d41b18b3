"""Finding secrets in files (`contracts scan`): what scrubbing removes, reported by line.

`find_secrets` looks where scrubbing looks: known key formats as written and in every
encoding (`formats`), bearer tokens, secret fields and parameters by name, and, in a
cassette, secrets split across the deltas of a recorded stream (`deltas`). A hit names its
kind and line and shows the line with every secret on it masked: never the secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from .deltas import split_pieces
from .formats import BEARER, encoded_spans, format_spans, raw_spans
from .scrub import (
    FIELDS,
    QUERY,
    SECRET_FIELDS,
    SECRET_HEADERS,
    SECRET_QUERY,
    field_pattern,
    is_clean,
    norm,
    query_pattern,
)

__all__ = ["SecretHit", "find_secrets"]

MASK = "****"
EXCERPT_WIDTH = 100

T = TypeVar("T")
_Span = tuple[int, int, int, str, str]  # start, end, priority, kind, the prefix shown


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A secret found in a text: what kind, on which line, and the line with it masked."""

    kind: str
    line: int
    excerpt: str


def find_secrets(text: str, names: Iterable[str] = ()) -> list[SecretHit]:
    """Every secret in `text`, each once, in order; the excerpt never shows the secret.

    `names` adds field, header or parameter names (a manifest's `redact` lists) to the
    defaults.
    """
    extra = {norm(n) for n in names}
    fields = FIELDS if not extra else field_pattern(SECRET_FIELDS | SECRET_HEADERS | extra)
    query = QUERY if not extra else query_pattern(SECRET_QUERY | extra)
    raw = raw_spans(text)
    spans: list[_Span] = [(start, end, 0, kind, shown) for start, end, kind, shown in raw]
    spans += [(start, end, 0, kind, "") for start, end, kind in encoded_spans(text)]
    for priority, (pattern, kind) in enumerate(
        ((BEARER, "bearer token"), (fields, "secret field"), (query, "secret parameter")), 1
    ):
        for match in pattern.finditer(text):
            secret = match.group("secret")
            if is_clean(secret):
                continue
            start, end = match.span("secret")
            name = kind if kind == "bearer token" else f"{kind} {_name_of(match)}"
            spans.append((start, end, priority, name, ""))
    kept: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s[2], s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    hits = [_hit(text, span, kept) for span in kept]
    hits += _in_cassette(text)
    return sorted(hits, key=lambda hit: hit.line)


def _name_of(match: re.Match[str]) -> str:
    pre = match.group("pre")
    return pre.replace("\\", "").strip('"=:[ \n\t').split('"')[0].lower()


def _hit(text: str, span: _Span, every: list[_Span]) -> SecretHit:
    """The hit with its line, every secret on that line masked, cut around the hit."""
    start, end = span[0], span[1]
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    pieces: list[str] = []
    position, at = line_start, 0
    for other_start, other_end, _, _, visible in every:
        if other_end <= line_start or other_start >= line_end:
            continue
        pieces.append(text[position : max(position, other_start)])
        if other_start == start:
            at = sum(map(len, pieces))
        pieces.append(visible + MASK)
        position = max(position, other_end)
    pieces.append(text[position:line_end])
    line = "".join(pieces)
    at -= len(line) - len(line.lstrip())
    return SecretHit(span[3], text.count("\n", 0, start) + 1, _cut(line.strip(), at))


def _cut(line: str, at: int) -> str:
    if len(line) <= EXCERPT_WIDTH:
        return line
    begin = max(0, min(at - EXCERPT_WIDTH // 3, len(line) - EXCERPT_WIDTH))
    cut = line[begin : begin + EXCERPT_WIDTH]
    return ("…" if begin else "") + cut + ("…" if begin + EXCERPT_WIDTH < len(line) else "")


# --- what only a cassette's structure shows ---------------------------------------------------


def _in_cassette(text: str) -> list[SecretHit]:
    """In a cassette: secrets inside binary bodies (stored as base64, decoded here), and
    secrets split across the data events of a recorded stream."""
    if '"sse"' not in text and '"base64"' not in text:
        return []
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    hits = []
    for stored in _bodies(document, "base64", str):
        try:
            data = base64.b64decode(stored).decode("latin-1")
        except (binascii.Error, ValueError):
            continue
        where = text.find(stored)
        line = text.count("\n", 0, where) + 1 if where >= 0 else 1
        for _, _, kind in format_spans(data):
            hits.append(SecretHit(f"{kind} (in a binary body)", line, "****"))
    for lines in _bodies(document, "sse", list):
        stream = "\n".join(lines)
        seen: set[tuple[str, str]] = set()
        for piece in split_pieces(stream, format_spans):
            if (piece.kind, piece.excerpt) in seen:
                continue
            seen.add((piece.kind, piece.excerpt))
            event = lines[stream.count("\n", 0, piece.start)]
            where = text.find(orjson.dumps(event).decode())
            line = text.count("\n", 0, where) + 1 if where >= 0 else 1
            kind = f"{piece.kind} (split across stream events)"
            hits.append(SecretHit(kind, line, _cut(piece.excerpt, 0)))
    return hits


def _bodies(value: Any, kind: str, stored: type[T]) -> Iterator[T]:
    """Every body stored as `kind` in a cassette's document (`{"sse": [...]}`, ...)."""
    if isinstance(value, dict):
        body = value.get(kind)
        if isinstance(body, stored) and (
            not isinstance(body, list) or all(isinstance(line, str) for line in body)
        ):
            yield body
        for item in value.values():
            yield from _bodies(item, kind, stored)
    elif isinstance(value, list):
        for item in value:
            yield from _bodies(item, kind, stored)
