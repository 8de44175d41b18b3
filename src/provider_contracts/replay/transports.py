"""httpx transports that answer from cassettes, or forward to the provider in live mode.

Give one to any httpx client (`httpx.Client(transport=...)`), and so to every SDK that
takes an httpx client. A replay transport has no transport behind it: a request no
recording answers raises `UnmatchedRequest` and never leaves the process. Streamed
bodies come back event by event, as a provider sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

import httpx

from ..live.forward import Forwarder, Outgoing
from .playback import Recording, Replayer

__all__ = [
    "AsyncLiveTransport",
    "AsyncReplayTransport",
    "EventStream",
    "LiveTransport",
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


class LiveTransport(httpx.BaseTransport):
    """Sends each request to the provider (key added), checks the answer against its
    contract, and hands it on; `inner` is the transport that really sends."""

    def __init__(self, forwarder: Forwarder, inner: httpx.BaseTransport | None = None) -> None:
        self.forwarder = forwarder
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        outgoing, sent = _forwarded(self.forwarder, request, body)
        response = self.inner.handle_request(sent)
        try:
            content = response.read()
        finally:
            response.close()
        return _answered(self.forwarder, outgoing, response, content)

    def close(self) -> None:
        self.inner.close()


class AsyncLiveTransport(httpx.AsyncBaseTransport):
    """`LiveTransport` for `httpx.AsyncClient`."""

    def __init__(self, forwarder: Forwarder, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.forwarder = forwarder
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        outgoing, sent = _forwarded(self.forwarder, request, body)
        response = await self.inner.handle_async_request(sent)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return _answered(self.forwarder, outgoing, response, content)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _forwarded(
    forwarder: Forwarder, request: httpx.Request, body: bytes
) -> tuple[Outgoing, httpx.Request]:
    """The request as the provider gets it: its real URL and the key's header added."""
    outgoing = forwarder.prepare(
        request.method, str(request.url), body, list(request.headers.multi_items())
    )
    sent = httpx.Request(
        request.method,
        outgoing.url,
        headers=outgoing.headers,
        content=body,
        extensions=request.extensions,
    )
    return outgoing, sent


def _answered(
    forwarder: Forwarder, outgoing: Outgoing, response: httpx.Response, content: bytes
) -> httpx.Response:
    """The provider's answer checked and kept by the forwarder, handed back for replay."""
    recording = forwarder.received(
        outgoing,
        response.status_code,
        response.reason_phrase,
        list(response.headers.multi_items()),
        content,
    )
    return to_response(recording)
