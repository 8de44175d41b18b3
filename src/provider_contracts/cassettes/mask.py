"""The one key masker: the keys in play, and every known key format, in every encoding.

`Masker(keys)` replaces with `<REDACTED>` each key it is given (the real value in use) as
written, glued to other characters, percent- or `\\u`-escaped and base64-encoded at any
alignment, and every known key format the same ways (`formats.format_spans`); in text, in
bytes, in a violation, and in an event stream whose deltas split a secret (the joined
text of the deltas is searched, then each delta carrying a piece of a hit is masked).

Where masking happens, so that it cannot be forgotten:

- at the source, on the two live paths: `live.record` and `live.forward` scrub every
  interaction with the key's masker before validating, diffing, keeping or writing it,
  and mask the violations they hand on; nothing they return holds the key;
- at the way out, as a last line of defence: every report renderer
  (`reports.RENDERERS`) and the CLI's error line pass through `Masker()` (the known
  formats, in every encoding).

Violations (`contract.violations`) are made before any key is known, so they are masked
where they leave a live path, not where they are made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..contract.violations import Violation
from .deltas import split_pieces, with_pieces_masked
from .formats import Span, format_spans, key_pattern, key_spans

__all__ = ["REDACTED", "Masker"]

REDACTED = "<REDACTED>"


class Masker:
    """Masks the given keys and every known key format, in every encoding."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys = tuple(k for k in dict.fromkeys(keys) if k)

    def spans(self, text: str) -> list[Span]:
        """Where a secret sits in `text`: each key in play, then each known format."""
        found = [span for key in self._keys for span in key_spans(key, text)]
        return found + format_spans(text)

    def text(self, text: str) -> str:
        """`text` with every secret replaced by `<REDACTED>`."""
        spans = self.spans(text)
        if not spans:
            return text
        pieces, position = [], 0
        for start, end in _merged(spans):
            pieces += [text[position:start], REDACTED]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def bytes(self, data: bytes) -> bytes:
        """A binary body masked as text (every byte read as one character)."""
        masked = self.text(data.decode("latin-1"))
        return masked.encode("latin-1")

    def stream(self, text: str) -> str:
        """An event stream with secrets masked: first those split across the deltas (the
        joined text of each field of the data events), then those within a line."""
        pieces = split_pieces(text, self.spans)
        if pieces:
            text = with_pieces_masked(text, pieces, REDACTED)
        return self.text(text)

    def violation(self, violation: Violation) -> Violation:
        return replace(
            violation,
            message=self.text(violation.message),
            instance_path=self.text(violation.instance_path),
            excerpt=self.text(violation.excerpt),
        )

    def holds(self, text: str) -> bool:
        """Whether any key in play is in `text`, in any of its spellings."""
        return any(key_pattern(key).search(text) for key in self._keys)


def _merged(spans: list[Span]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
