"""State the provider keeps between requests, replayed: list pages and idempotent retries.

Pages: a Stripe-style list (`{"object": "list", "data": [...], "has_more": ...}`) is
answered from every item recorded for the endpoint, in the order recorded, one page at
a time: `limit` (default 10), `starting_after=ID` for the page after an item,
`ending_before=ID` for the page before one; `has_more` is true only when recorded items
remain beyond the page, so `auto_paging_iter()` ends. A cursor naming no recorded item
is Stripe's 400 `resource_missing`.

Idempotency: a POST carrying an `Idempotency-Key` the server has answered before gets the
first answer again, marked `Idempotent-Replayed: true`, as Stripe does.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from .faults import Canned
from .playback import Recording

__all__ = ["DEFAULT_LIMIT", "Idempotency", "is_list", "paged"]

DEFAULT_LIMIT = 10  # Stripe's
NO_SUCH_ITEM = "No such {kind}: '{id}'"
REPLAYED = ("Idempotent-Replayed", "true")
KEYS_KEPT = 10_000  # idempotency keys remembered; the oldest is forgotten first


def is_list(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("object") == "list"
        and isinstance(value.get("data"), list)
        and "has_more" in value
    )


def _items(pool: Sequence[Recording]) -> list[dict[str, Any]]:
    """Every item of the recorded successful list answers, each id once, in order."""
    seen: dict[Any, dict[str, Any]] = {}
    for recording in pool:
        value = recording.interaction.response.body.value
        if recording.success and is_list(value):
            for item in value["data"]:
                if isinstance(item, dict):
                    seen.setdefault(item.get("id"), item)
    return list(seen.values())


def paged(recording: Recording, pool: Sequence[Recording], target: str) -> Recording | Canned:
    """The recording as the page the request's query asks for (itself when not a list)."""
    value = recording.interaction.response.body.value
    if not (recording.success and is_list(value)):
        return recording
    query = dict(parse_qsl(urlsplit(target).query))
    items = _items([r for r in pool if r.endpoint == recording.endpoint]) or list(value["data"])
    limit = _limit(query.get("limit"))
    ids = [item.get("id") for item in items]
    for cursor in ("starting_after", "ending_before"):
        wanted = query.get(cursor)
        if wanted is not None and wanted not in ids:
            return _missing(recording, cursor, wanted)
    if "starting_after" in query:
        start = ids.index(query["starting_after"]) + 1
        page, more = items[start : start + limit], start + limit < len(items)
    elif "ending_before" in query:
        end = ids.index(query["ending_before"])
        start = max(0, end - limit)
        page, more = items[start:end], start > 0
    else:
        page, more = items[:limit], len(items) > limit
    content = orjson.dumps({**value, "data": page, "has_more": more})
    return dataclasses.replace(recording, content=content)


def _limit(text: str | None) -> int:
    try:
        return min(max(int(text or DEFAULT_LIMIT), 1), 100)
    except ValueError:
        return DEFAULT_LIMIT


def _missing(recording: Recording, cursor: str, wanted: str) -> Canned:
    kind = recording.endpoint.partition("/")[2].removesuffix("_list").removesuffix("s")
    error = {
        "code": "resource_missing",
        "message": NO_SUCH_ITEM.format(kind=kind, id=wanted),
        "param": cursor,
        "type": "invalid_request_error",
    }
    headers = (("Content-Type", "application/json"),)
    return Canned(400, "Bad Request", headers, orjson.dumps({"error": error}))


class Idempotency:
    """The first answer given to each `Idempotency-Key`, shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: dict[str, Recording] = {}

    def answer(self, method: str, headers: Mapping[str, str], chosen: Recording) -> Recording:
        """`chosen`, or the answer first given to this request's key (marked replayed)."""
        key = headers.get("idempotency-key")
        if method != "POST" or not key:
            return chosen
        with self._lock:
            first = self._first.get(key)
            if first is None:
                if len(self._first) >= KEYS_KEPT:
                    del self._first[next(iter(self._first))]  # the oldest key
                self._first[key] = chosen
                return chosen
        return dataclasses.replace(first, headers=(*first.headers, REPLAYED))
