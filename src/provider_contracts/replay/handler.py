"""The replay server's HTTP side: reading a request, writing the chosen answer, and the
faults that happen at the socket (a hang, a reset, a stream cut halfway).

What to answer is decided by the server (`provider_contracts.replay.server`), reached
through the small `Answering` protocol, so that this module stays the leaf.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from ..contract.registry import Endpoint
from ..errors import InputError
from ..files import MAX_INPUT, MiB
from .alterations import Alteration
from .altered import altered
from .faults import Canned
from .playback import Recording

__all__ = [
    "BACKLOG",
    "BAD_LENGTH",
    "MAX_BODY",
    "NO_CASSETTE",
    "NO_ROUTE",
    "TOO_LARGE",
    "Answering",
    "Exchange",
    "Handler",
    "Listening",
]

BACKLOG = 128  # connections waiting to be accepted; the standard library's 5 refuses bursts
NO_ROUTE = "no cassette answers {method} {path}; this server replays: {known}"
NO_CASSETTE = "{endpoint} has no cassette to replay; record it with `contracts record {provider}`"

MAX_BODY = MAX_INPUT  # a request body larger than any body the project reads is refused unread
BAD_LENGTH = "Content-Length {value!r} is not a number of bytes; send the body's length"
TOO_LARGE = "a request body of {length} bytes is over the replay server's limit of {limit}"

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the server answered, as its log line says it."""

    method: str
    path: str
    endpoint: str | None
    interaction: int | None
    status: int | None  # None when the server did not answer (hang, reset)
    altered: tuple[str, ...]

    def __str__(self) -> str:
        served = f" -> {self.endpoint}#{self.interaction}" if self.endpoint else ""
        status = str(self.status) if self.status is not None else "no answer"
        altered = f" (altered: {', '.join(self.altered)})" if self.altered else ""
        return f"{self.method} {self.path}{served} {status}{altered}"


class Answering(Protocol):
    """What the handler asks of the replay server."""

    stopping: threading.Event

    def choose(
        self, method: str, target: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[Endpoint, Recording | Canned | None] | None: ...
    def known(self) -> list[str]: ...
    def record(self, exchange: Exchange) -> None: ...
    def fired(self, endpoint_id: str) -> list[Alteration]: ...
    def fault(self, endpoint: Endpoint, alteration: Alteration) -> Canned: ...


class Listening(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = BACKLOG

    def __init__(self, address: tuple[str, int], handler: type[Handler], replay: Answering) -> None:
        self.replay = replay
        super().__init__(address, handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (about 40 ms per small answer).
    disable_nagle_algorithm = True
    server: Listening

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged by the server's `record`, without headers or query values."""

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        replay = self.server.replay
        path = urlsplit(self.path).path
        refusal = self._length_refusal()
        if refusal is not None:
            # The body is left unread, so the connection closes rather than reading the
            # rest of it as the next request.
            status, message = refusal
            self.close_connection = True
            replay.record(Exchange(self.command, path, None, None, status, ()))
            self._refuse(status, message, "invalid_request_error")
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            chosen = replay.choose(self.command, self.path, raw, request_headers)
        except InputError as exc:
            replay.record(Exchange(self.command, path, None, None, 400, ()))
            self._refuse(400, str(exc), "invalid_request_error")
            return
        if chosen is None:
            known = ", ".join(replay.known())
            replay.record(Exchange(self.command, path, None, None, 404, ()))
            self._refuse(404, NO_ROUTE.format(method=self.command, path=path, known=known))
            return
        endpoint, recording = chosen
        fired = replay.fired(endpoint.id)
        names = tuple(str(a) for a in fired)
        fault = next((a for a in fired if a.replaces_answer), None)
        delay = sum(a.seconds or 0.0 for a in fired if a.action == "slow")

        # Each answer is recorded before its bytes leave, so that a client that has read
        # the answer finds it in the log.
        def done(status: int | None, index: int | None = None) -> None:
            replay.record(Exchange(self.command, path, endpoint.id, index, status, names))

        if fault is not None and fault.action == "hang":
            done(None)
            self._hang(replay.stopping)
            return
        if fault is not None and fault.action == "reset":
            done(None)
            self._reset()
            return
        if fault is not None and fault.action == "status":
            canned = replay.fault(endpoint, fault)
            done(canned.status)
            self._send(canned.status, canned.reason, canned.headers, canned.content)
            return
        if recording is None:
            done(404)
            self._refuse(404, NO_CASSETTE.format(endpoint=endpoint.id, provider=endpoint.provider))
            return
        if isinstance(recording, Canned):
            done(recording.status)
            self._send(recording.status, recording.reason, recording.headers, recording.content)
            return
        answer = altered(recording, fired, request_headers)
        done(answer.status, answer.interaction.index)
        if answer.events is not None:
            self._send_stream(answer.status, answer.reason, answer.headers, answer.events, delay)
            return
        if delay:
            time.sleep(delay)
        self._send(answer.status, answer.reason, answer.headers, answer.content)

    # --- writing answers --------------------------------------------------------------------

    def _length_refusal(self) -> tuple[int, str] | None:
        """Why the request's Content-Length cannot be read (400) or will not be (413)."""
        value = (self.headers.get("Content-Length") or "0").strip()
        if not (value.isascii() and value.isdigit()):
            return 400, BAD_LENGTH.format(value=value)
        if int(value) > MAX_BODY:
            return 413, TOO_LARGE.format(length=int(value), limit=f"{MAX_BODY // MiB} MiB")
        return None

    def _send(self, status: int, reason: str, headers: Headers, payload: bytes) -> None:
        self.send_response(status, reason or None)
        typed = False
        for name, value in headers:
            typed = typed or name.lower() == "content-type"
            self.send_header(name, value)
        if not typed:
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _refuse(self, status: int, message: str, kind: str = "not_found") -> None:
        body = {"error": {"message": message, "type": kind}}
        self._send(status, "", [("Content-Type", "application/json")], orjson.dumps(body))

    def _send_stream(
        self, status: int, reason: str, headers: Headers, events: Sequence[bytes], delay: float
    ) -> None:
        self.send_response(status, reason or None)
        for name, value in headers:
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for event in events:
                if delay:
                    time.sleep(delay)
                self._chunk(event)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def _hang(self, stopping: threading.Event) -> None:
        """Hold the connection, answering nothing, until the client or the server gives up."""
        self.close_connection = True
        while not stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                try:
                    if not self.connection.recv(1024, socket.MSG_PEEK):
                        return  # the client closed its side
                except OSError:
                    return
                time.sleep(0.05)

    def _reset(self) -> None:
        """Close with a TCP RST, as a crashed proxy does."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose, or by the client
            super().finish()
