"""Dotted JSON paths, as the contracts write them: `choices[].message.content`, `data[0].id`.

A path is a field name followed by `.field`, `[]` (every element of a list) or `[N]`
(element N). Used by the replay server's alterations and by probes that take an id from
another endpoint's answer.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING", "Token", "from_pointer", "get", "parse"]

Token = str | int | None  # a field, an index, or None for "every element"
MISSING: Any = object()  # what `get` returns when the path leads nowhere

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d*)\]")
_START = "cannot read the path {text!r}; write it as field.field[], field[0].field"


def parse(text: str) -> tuple[Token, ...]:
    """`choices[].message.content` as `("choices", None, "message", "content")`."""
    first = _TOKEN.match(text)
    if first is None or first.group(1) is None:
        raise ValueError(_START.format(text=text))
    tokens: list[Token] = []
    position = 0
    for match in _TOKEN.finditer(text):
        between = text[position : match.start()]
        if between not in ("", ".") or (between == "" and tokens and match.group(1) is not None):
            raise ValueError(_START.format(text=text))
        key, index = match.groups()
        tokens.append(key if key is not None else (int(index) if index else None))
        position = match.end()
    if position != len(text):
        raise ValueError(_START.format(text=text))
    return tuple(tokens)


def get(value: Any, path: tuple[Token, ...]) -> Any:
    """The value at a path without `[]`; `MISSING` when it is not there."""
    for token in path:
        if isinstance(token, str) and isinstance(value, dict) and token in value:
            value = value[token]
            continue
        if isinstance(token, int) and isinstance(value, list) and -len(value) <= token < len(value):
            value = value[token]
            continue
        return MISSING
    return value


def from_pointer(pointer: str) -> str:
    """A JSON pointer as a path of every element: `/choices/0/message` -> `choices[].message`.

    The drift path form of a violation's place, so one waiver or one consumer read covers
    both the drift and the violations the same change causes.
    """
    if pointer.isascii() and "~" not in pointer and "." not in pointer:
        # The common case, without a loop per token (the gate calls this per violation).
        return _INDEX.sub("[]", pointer)[1:].replace("/", ".")
    parts: list[str] = []
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if token.isdigit() and parts:
            parts[-1] += "[]"
        else:
            parts.append(token)
    return ".".join(parts)


_INDEX = re.compile(r"(?<=.)/[0-9]+(?=/|$)")  # an array index after a token
