"""Words in messages: a count with its noun in the right number ("1 problem", "2 problems").

May import: nothing of the package.
"""

from __future__ import annotations

__all__ = ["count"]


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, made plural (with `s`, or as given) unless the number is 1."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
