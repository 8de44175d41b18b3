"""httpx transports that answer from cassettes.

Give one to any httpx client (`httpx.Client(transport=...)`), and so to every SDK that
takes an httpx client. A replay transport has no transport behind it: a request no
recording answers raises `UnmatchedRequest` and never leaves the process. Streamed
bodies come back event by event, as a provider sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

import httpx

from .playback import Recording, Replayer

__all__ = [
    "AsyncReplayTransport",
    "EventStream",
    "ReplayTransport",
    "to_response",
]


class EventStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered in chunks, one per server-sent event."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def to_response(recording: Recording) -> httpx.Response:
    """The recorded response as httpx hands it to a client: a stream, for an event stream."""
    extensions = {"reason_phrase": recording.reason.encode("ascii", "replace")}
    if recording.events is not None:
        return httpx.Response(
            recording.status,
            headers=list(recording.headers),
            stream=EventStream(recording.events),
            extensions=extensions,
        )
    return httpx.Response(
        recording.status,
        headers=list(recording.headers),
        content=recording.content,
        extensions=extensions,
    )


class ReplayTransport(httpx.BaseTransport):
    """Answers from the cassettes of the replayed endpoints; sends nothing anywhere."""

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        recording = self.replayer.answer(
            request.method, str(request.url), body, request.headers.get("content-type")
        )
        return to_response(recording)


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    """`ReplayTransport` for `httpx.AsyncClient`."""

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        recording = self.replayer.answer(
            request.method, str(request.url), body, request.headers.get("content-type")
        )
        return to_response(recording)
