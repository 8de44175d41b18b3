"""Folding deltas the way the official SDKs do: strings join, numbers add, objects merge.

Shared by the fold rules (`folding`) and the machines that fold a stream as it is read
(`chunk_pass`, `event_pass`).
"""

from __future__ import annotations

from typing import Any

# Keys a delta repeats rather than extends: `index` and `type` per the SDK; `role` too,
# which the SDK concatenates ("assistantassistant...") when a provider repeats it on
# every chunk, as OpenRouter does.
_REPLACED = frozenset({"index", "type", "role"})


def _indexed(items: list[Any]) -> bool:
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("index"), int) for i in items
    )


class Text:
    """The pieces of a string, joined once at the end: a long stream's text is not copied
    again for every chunk."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str) -> None:
        self.parts = list(parts)


def accumulate(acc: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """openai-python's `accumulate_delta`: strings join, numbers add, objects merge, lists
    of `index`ed objects merge by index and other lists extend. `acc` is changed in place
    and never shares a container with `delta` (the parsed chunks stay as they came)."""
    for key, value in delta.items():
        current = acc.get(key)
        if type(current) is Text and type(value) is str:  # the common case: more text
            current.parts.append(value)
        else:
            acc[key] = _own(value) if current is None or key in _REPLACED else join(current, value)
    return acc


def _own(value: Any) -> Any:
    if isinstance(value, dict):
        return accumulate({}, value)
    if isinstance(value, list):
        return join([], value)
    return value


def join(current: Any, value: Any) -> Any:
    if isinstance(value, str):
        if isinstance(current, Text):
            current.parts.append(value)
            return current
        return Text(current, value) if isinstance(current, str) else value
    if isinstance(current, dict) and isinstance(value, dict):
        return accumulate(current, value)
    if isinstance(current, list) and isinstance(value, list):
        if not _indexed(value):
            current.extend(_own(item) for item in value)
            return current
        for entry in value:
            position = entry["index"]
            if position < len(current) and isinstance(current[position], dict):
                accumulate(current[position], entry)
            else:
                current.insert(position, _own(entry))
        return current
    numbers = (int, float)
    if (
        isinstance(current, numbers)
        and isinstance(value, numbers)
        and not isinstance(current, bool)
        and not isinstance(value, bool)
    ):
        return current + value
    return _own(value)


def finished(value: Any) -> Any:
    """A folded value with every string's pieces joined."""
    if isinstance(value, Text):
        return "".join(value.parts)
    if isinstance(value, dict):
        return {key: finished(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finished(item) for item in value]
    return value
