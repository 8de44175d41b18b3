"""Transports that answer from cassettes, for httpx and httpx2 clients, sync and async.

Give one to any client (`httpx.Client(transport=...)`, `httpx2.AsyncClient(transport=...)`),
and so to every SDK that takes such a client: openai 3.x takes either library, anthropic
2.x only httpx2. A replay transport has no transport behind it: a request no recording
answers raises `UnmatchedRequest` and never leaves the process. Streamed bodies come back
event by event, as a provider sends them.

httpx2 is Pydantic's fork of httpx under another name: the same transport interface, but
other classes. A client of either library checks only the response it gets back, so one
transport serves both by answering each request with a response of the request's own
library. It subclasses neither library's `BaseTransport` on purpose: anthropic refuses
any object with an `httpx` class in its ancestry. httpx2 is imported only when a client
of it sends a request.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any, Literal, Protocol, Self

from ..contract.registry import Endpoint
from .alterations import Alteration, Counter
from .altered import altered
from .faults import Canned, error_answer
from .playback import Recording, Replayer
from .state import paged

__all__ = [
    "LIBRARIES",
    "AsyncReplayTransport",
    "Closing",
    "Library",
    "ReplayTransport",
    "library",
    "library_of",
    "to_response",
]

Library = Literal["httpx", "httpx2"]
LIBRARIES: tuple[Library, ...] = ("httpx", "httpx2")
SIMULATED = "simulated by the replay transport (--alter {spec})"
NOT_A_CLIENT_LIBRARY = "{name!r} is not a client library this transport serves (httpx, httpx2)"


class Request(Protocol):
    """A request of either library, as far as a transport reads it."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> Any: ...
    @property
    def headers(self) -> Any: ...
    def read(self) -> bytes: ...
    async def aread(self) -> bytes: ...


@functools.cache
def library(name: str) -> ModuleType:
    """`httpx` or `httpx2`, imported when first asked for."""
    if name not in LIBRARIES:
        raise ValueError(NOT_A_CLIENT_LIBRARY.format(name=name))
    return importlib.import_module(name)


def library_of(request: object) -> Library:
    """The library a request (or response) comes from: its class's top-level module."""
    name = type(request).__module__.partition(".")[0]
    return "httpx2" if name == "httpx2" else "httpx"


class _Chunks:
    """A body delivered in chunks, one per server-sent event."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


@functools.cache
def _event_stream(name: Library) -> type[_Chunks]:
    # The clients assert that a response's stream is one of their own byte streams.
    lib = library(name)
    return type("EventStream", (_Chunks, lib.SyncByteStream, lib.AsyncByteStream), {})


def to_response(recording: Recording | Canned, lib: Library = "httpx") -> Any:
    """The recorded response as the client's library hands it over: a stream, for an
    event stream. `lib` is the library of the request being answered."""
    module = library(lib)
    extensions = {"reason_phrase": recording.reason.encode("ascii", "replace")}
    if recording.events is not None:
        return module.Response(
            recording.status,
            headers=list(recording.headers),
            stream=_event_stream(lib)(recording.events),
            extensions=extensions,
        )
    return module.Response(
        recording.status,
        headers=list(recording.headers),
        content=recording.content,
        extensions=extensions,
    )


class Closing:
    """What a transport's clients do on leaving a `with` or `async with` block: `close()` or
    `aclose()`, which release nothing unless the transport says otherwise."""

    def close(self) -> None:
        """Nothing to release here."""

    async def aclose(self) -> None:
        """Nothing to release here."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class ReplayTransport(Closing):
    """Answers from the cassettes of the replayed endpoints; sends nothing anywhere.

    One object serves `httpx.Client`, `httpx.AsyncClient`, `httpx2.Client` and
    `httpx2.AsyncClient`. `alterations` bend the answers as they bend the replay
    server's (a scenario's, in the plugin): `status:N` answers the provider's error
    envelope (`endpoints` gives the contracts it needs), `hang` raises the client's
    `ReadTimeout`, `reset` its `RemoteProtocolError`, `cut` and the body alterations
    change the answer; `slow` is the server's alone.
    """

    def __init__(
        self,
        replayer: Replayer,
        alterations: Sequence[Alteration] = (),
        endpoints: Mapping[str, Endpoint] | None = None,
    ) -> None:
        self.replayer = replayer
        self.alterations = tuple(alterations)
        self.endpoints = dict(endpoints or {})
        self._counter = Counter()

    def handle_request(self, request: Request) -> Any:
        return self._answer(request, request.read())

    async def handle_async_request(self, request: Request) -> Any:
        return self._answer(request, await request.aread())

    def _answer(self, request: Request, body: bytes) -> Any:
        url, lib = str(request.url), library_of(request)
        recording = self.replayer.answer(
            request.method, url, body, request.headers.get("content-type")
        )
        pool = [c.payload for c in self.replayer.candidates]
        fired = self._counter.take(self.alterations, recording.endpoint)
        fault = next((a for a in fired if a.replaces_answer), None)
        if fault is not None:
            return self._fault(fault, recording, pool, request, lib)
        if request.method == "GET":  # a list answers the page asked for
            answer = paged(recording, pool, url)
            if isinstance(answer, Canned):
                return to_response(answer, lib)
            recording = answer
        headers = {k.lower(): v for k, v in request.headers.items()}
        return to_response(altered(recording, fired, headers), lib)

    def _fault(
        self,
        fault: Alteration,
        recording: Recording,
        pool: list[Recording],
        request: Request,
        lib: Library,
    ) -> Any:
        module = library(lib)
        message = SIMULATED.format(spec=fault)
        if fault.action == "hang":
            raise module.ReadTimeout(message, request=request)
        if fault.action == "reset":
            raise module.RemoteProtocolError(message, request=request)
        endpoint = self.endpoints[recording.endpoint]
        canned = error_answer(endpoint, pool, int(fault.value), fault.seconds, str(fault))
        return to_response(canned, lib)


# The same class: it serves async clients too. The name stays for code written before.
AsyncReplayTransport = ReplayTransport
