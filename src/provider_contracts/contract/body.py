"""A response (or request) body, decoded as far as it goes: JSON, an event stream, text, bytes.

The one place that decides what a body is; validation, drift, replay and the cassettes
read bodies through it.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import orjson

from .sse import looks_like_sse

__all__ = ["Body", "BodyKind"]

BodyKind = Literal["json", "sse", "text", "bytes", "empty"]


class Body:
    """A request or response body, decoded as far as it goes.

    `value` is the parsed JSON, the text, or the bytes. An event stream read from a
    cassette keeps its stored lines (`lines`): stream checks read those, and the text is
    joined from them only when something asks for `value` (a 100,000-event stream is
    then never copied into one string and split again).
    """

    __slots__ = ("kind", "lines", "value")

    kind: BodyKind
    value: Any
    lines: list[str] | None  # the stored lines of an event stream, when read from them

    def __init__(self, kind: BodyKind, value: Any) -> None:
        self.kind = kind
        self.value = value
        self.lines = None

    @classmethod
    def from_lines(cls, lines: list[str]) -> Body:
        """An event stream from its stored lines (the text split at each `\\n`)."""
        body = cls.__new__(cls)
        body.kind, body.lines = "sse", lines  # `value` stays unset until asked for
        return body

    def __getattr__(self, name: str) -> Any:
        # Called only for an unset slot: the text of a stream read from its lines.
        if name == "value" and self.lines is not None:
            self.value = "\n".join(self.lines)
            return self.value
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Body):
            return NotImplemented
        return self.kind == other.kind and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.kind, self.value))  # as the frozen dataclass it was: text hashes

    def __repr__(self) -> str:
        return f"Body(kind={self.kind!r}, value={self.value!r})"

    @classmethod
    def from_raw(cls, data: bytes | str | None, content_type: str | None = None) -> Body:
        if data is None or data in (b"", ""):
            return cls("empty", "")
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return cls("bytes", data)
        else:
            text = data
        if "\x00" in text:
            return cls("bytes", text.encode("utf-8"))
        if "event-stream" in (content_type or "") or looks_like_sse(text):
            return cls("sse", text)
        if content_type and "json" not in content_type.lower():
            return cls("text", text)  # the sender said what it is: no guessing
        try:
            return cls("json", orjson.loads(text))
        except orjson.JSONDecodeError:
            return cls("text", text)

    @property
    def text(self) -> str:
        if self.kind == "json":
            return orjson.dumps(self.value).decode()
        if self.kind == "bytes":
            return bytes(self.value).decode("utf-8", "replace")
        return str(self.value)

    @property
    def raw(self) -> bytes:
        if self.kind == "bytes":
            return bytes(self.value)
        return self.text.encode("utf-8")

    def to_stored(self) -> dict[str, Any] | None:
        if self.kind == "json":
            return {"json": self.value}
        if self.kind == "sse":
            return {"sse": list(self.lines) if self.lines is not None else self.value.split("\n")}
        if self.kind == "bytes":
            return {"base64": base64.b64encode(self.value).decode()}
        if self.kind == "empty":
            return None
        return {"string": self.value}
