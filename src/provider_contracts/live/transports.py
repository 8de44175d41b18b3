"""httpx transports for live mode: each request goes to the provider, key added, and its
answer is checked against its contract and kept (scrubbed) before the client sees it."""

from __future__ import annotations

import httpx

from ..replay.transports import to_response
from .forward import Forwarder, Outgoing

__all__ = ["AsyncLiveTransport", "LiveTransport"]


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
