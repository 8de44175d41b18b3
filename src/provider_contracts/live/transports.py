"""Transports for live mode: each request goes to the provider, key added, and its answer
is checked against its contract and kept (scrubbed) before the client sees it.

Like the replay transport, one object serves httpx and httpx2 clients, sync and async:
the request is sent by a transport of the request's own library and answered with a
response of that library. Given a replay transport, it answers from the cassettes first
and sends only what they do not answer (the plugin's `--contracts-record-mode=new`).
"""

from __future__ import annotations

from typing import Any

from ..errors import UnmatchedRequest
from ..replay.transports import (
    Closing,
    Library,
    ReplayTransport,
    Request,
    library,
    library_of,
    to_response,
)
from .forward import Forwarder, Outgoing

__all__ = ["AsyncLiveTransport", "LiveTransport"]


class LiveTransport(Closing):
    """Sends each request to the provider (key added), checks the answer against its
    contract, and hands it on.

    `inner` is the transport that really sends (any library's, sync or async, matching
    the clients it will serve); by default one of the request's library, made when first
    needed.
    """

    def __init__(
        self, forwarder: Forwarder, inner: Any = None, replay: ReplayTransport | None = None
    ) -> None:
        self.forwarder = forwarder
        self.inner = inner
        self.replay = replay
        self._made: dict[tuple[Library, bool], Any] = {}

    def _replayed(self, request: Request) -> Any:
        """The recorded answer, when `replay` has one; else None, and the request goes out."""
        if self.replay is None:
            return None
        try:
            return self.replay.handle_request(request)
        except UnmatchedRequest:
            self.replay.replayer.misses.pop()  # not a miss: it is sent, and recorded
            return None

    def _sender(self, lib: Library, asynchronous: bool) -> Any:
        if self.inner is not None:
            return self.inner
        key = (lib, asynchronous)
        if key not in self._made:
            module = library(lib)
            made = module.AsyncHTTPTransport() if asynchronous else module.HTTPTransport()
            self._made[key] = made
        return self._made[key]

    def handle_request(self, request: Request) -> Any:
        replayed = self._replayed(request)
        if replayed is not None:
            return replayed
        lib = library_of(request)
        body = request.read()
        outgoing, sent = _forwarded(self.forwarder, request, body, lib)
        response = self._sender(lib, False).handle_request(sent)
        try:
            content = response.read()
        finally:
            response.close()
        return _answered(self.forwarder, outgoing, response, content, lib)

    async def handle_async_request(self, request: Request) -> Any:
        body = await request.aread()  # read, so that the replay may read it too
        replayed = self._replayed(request)
        if replayed is not None:
            return replayed
        lib = library_of(request)
        outgoing, sent = _forwarded(self.forwarder, request, body, lib)
        response = await self._sender(lib, True).handle_async_request(sent)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return _answered(self.forwarder, outgoing, response, content, lib)

    def close(self) -> None:
        for (_, asynchronous), made in self._made.items():
            if not asynchronous:
                made.close()
        if self.inner is not None and hasattr(self.inner, "handle_request"):
            self.inner.close()

    async def aclose(self) -> None:
        for (_, asynchronous), made in self._made.items():
            if asynchronous:
                await made.aclose()
        if self.inner is not None and hasattr(self.inner, "handle_async_request"):
            await self.inner.aclose()


# The same class: it serves async clients too. The name stays for code written before.
AsyncLiveTransport = LiveTransport


def _forwarded(
    forwarder: Forwarder, request: Request, body: bytes, lib: Library
) -> tuple[Outgoing, Any]:
    """The request as the provider gets it: its real URL and the key's header added."""
    outgoing = forwarder.prepare(
        request.method, str(request.url), body, list(request.headers.multi_items())
    )
    sent = library(lib).Request(
        request.method,
        outgoing.url,
        headers=outgoing.headers,
        content=body,
        extensions=getattr(request, "extensions", {}),
    )
    return outgoing, sent


def _answered(
    forwarder: Forwarder, outgoing: Outgoing, response: Any, content: bytes, lib: Library
) -> Any:
    """The provider's answer checked and kept by the forwarder, handed back for replay."""
    recording = forwarder.received(
        outgoing,
        response.status_code,
        response.reason_phrase,
        list(response.headers.multi_items()),
        content,
    )
    return to_response(recording, lib)
