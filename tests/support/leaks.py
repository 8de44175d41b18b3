"""A brute-force leak finder for tests: every way a key can hide in text, decoded by hand.

Written apart from `provider_contracts.cassettes` on purpose (a second, naive
implementation): it decodes everything it can (percent escapes, `\\u` escapes, base64 at
every offset, the joined strings of an event stream) and looks for the key in the result.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

import orjson

__all__ = ["encodings", "leaks"]

_U = re.compile(r"\\+u([0-9A-Fa-f]{4})")
_B64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{12,}")


def _b64_views(text: str) -> list[bytes]:
    views = []
    for run in _B64_RUN.findall(text):
        run = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            chunk = run[offset:]
            if len(chunk) % 4 == 1:
                chunk = chunk[:-1]
            chunk += "=" * (-len(chunk) % 4)
            try:
                views.append(base64.b64decode(chunk))
            except (binascii.Error, ValueError):
                continue
    return views


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _streams(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["sse"]] if isinstance(value.get("sse"), list) else []
        return ["\n".join(map(str, f)) for f in found] + [
            s for v in value.values() for s in _streams(v)
        ]
    if isinstance(value, list):
        return [s for v in value for s in _streams(v)]
    return []


def _stream_joins(text: str) -> list[str]:
    """The strings of every JSON data event of each stream in `text`, joined in order."""
    try:
        streams = _streams(orjson.loads(text))  # a cassette: its `sse` bodies
    except orjson.JSONDecodeError:
        streams = [text]
    joined = []
    for stream in streams:
        parts: list[str] = []
        for line in stream.split("\n"):
            if line.startswith("data:"):
                try:
                    parts.extend(_strings(orjson.loads(line[5:])))
                except orjson.JSONDecodeError:
                    continue
        joined.append("".join(parts))
    return joined


PIECE = 16  # this many characters of a key in a row are a leak


def _holds(text: str, key: str) -> bool:
    return any(key[i : i + PIECE] in text for i in range(max(1, len(key) - PIECE + 1)))


def leaks(data: str | bytes, key: str) -> list[str]:
    """The encodings in which `key`, or any 16 characters of it in a row, can be read back
    from `data` (empty: none)."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    found = []
    if _holds(text, key):
        found.append("raw")
    if _holds(unquote(text), key):
        found.append("percent-encoded")
    if _holds(_U.sub(lambda m: chr(int(m.group(1), 16)), text), key):
        found.append("\\u-escaped")
    if any(_holds(view.decode("latin-1"), key) for view in _b64_views(text)):
        found.append("base64")
    if any(_holds(joined, key) for joined in _stream_joins(text)):
        found.append("split across stream events")
    return found


def encodings(key: str, before: bytes = b"", after: bytes = b"") -> dict[str, str]:
    """The key inside a longer value, in each encoding a provider might echo it."""
    raw = before + key.encode() + after
    return {
        "raw": raw.decode("latin-1"),
        "glued": "token" + key + "tail",
        "percent-encoded": "".join(f"%{b:02X}" for b in raw),
        "percent-encoded lower": "".join(f"%{b:02x}" for b in raw),
        "\\u-escaped": "".join(f"\\u{b:04x}" for b in raw),
        "base64": base64.b64encode(raw).decode(),
        "base64 +1": base64.b64encode(b"x" + raw).decode(),
        "base64 +2": base64.b64encode(b"xy" + raw).decode(),
        "urlsafe base64": base64.urlsafe_b64encode(b"\xfb\xff" + raw).decode(),
    }
