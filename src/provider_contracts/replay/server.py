"""The replay server: the committed cassettes answered over real HTTP on 127.0.0.1.

Each provider is served under its real paths (the path of its manifest's `base_url` plus
the endpoint's path, e.g. `/api/v1/chat/completions`) and also under `/PROVIDER/...`, so
that several providers never clash. A request is matched on its method and path, then on
the body fields that tell endpoints on the same path apart (`stream: true` selects the
streamed endpoint); within the endpoint's cassette, the success recorded with the most
similar request (query, then body) is answered. The header `X-Contracts-Interaction: N`
asks for interaction N, recorded errors included.

Event streams go out as they came: one chunk per event, flushed, with
`Transfer-Encoding: chunked`. Alterations (`provider_contracts.replay.alterations`) change
bodies and simulate outages, for tests of the live path and of a gateway.

Standard library only (`http.server.ThreadingHTTPServer`): nothing to install, and every
fault (a hang, a reset, a cut stream) is a few lines at the socket.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ..cassettes.cassette import Interaction, cassette_paths, read
from ..contract.body import Body
from ..contract.registry import Endpoint, Provider
from ..contract.sse import split_events
from ..errors import InputError
from ..project import Project
from .alterations import Alteration, Counter, alter_body, parse
from .matching import base_path, path_pattern

__all__ = ["HOST", "INTERACTION_HEADER", "Exchange", "ReplayServer", "Route", "routes_for"]

HOST = "127.0.0.1"  # loopback only, never every interface
INTERACTION_HEADER = "X-Contracts-Interaction"
NO_ROUTE = "no cassette answers {method} {path}; this server replays: {known}"
NO_CASSETTE = "{endpoint} has no cassette to replay; record it with `contracts record {provider}`"
PORT_IN_USE = "--port {port}: cannot listen on {host}:{port} ({detail}); pick another port or 0"
# Headers that describe the stored bytes, not the body as it is sent again.
_HOP = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}
)
_DATA_LINE = re.compile(r"^data:[^\r\n]*", re.M)


@dataclass(frozen=True, slots=True)
class Route:
    """A method and a path pattern answered by one endpoint's cassette."""

    method: str
    pattern: re.Pattern[str]
    template: str
    endpoint: Endpoint
    interactions: tuple[Interaction, ...]


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


def routes_for(providers: Sequence[Provider], cassettes_root: Path) -> list[Route]:
    """Every route of these providers: real paths first (the first provider wins a clash),
    then each under `/PROVIDER`."""
    routes: list[Route] = []
    prefixed: list[Route] = []
    for provider in providers:
        base = base_path(provider.base_url)
        for endpoint in provider.endpoints.values():
            interactions = tuple(
                item
                for path in cassette_paths(cassettes_root, provider.name, endpoint.name)
                for item in read(path).interactions
            )
            for prefix, target in (("", routes), (f"/{provider.name}", prefixed)):
                template = prefix + base + endpoint.path
                target.append(
                    Route(endpoint.method, path_pattern(template), template, endpoint, interactions)
                )
    return routes + prefixed


class ReplayServer:
    """The cassettes of some providers served on 127.0.0.1; `start()` returns the URL.

    `with ReplayServer(...) as server:` starts it in a thread and stops it on exit.
    `alterations` may be replaced between requests; `exchanges` lists what was answered.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        cassettes_root: Path,
        alterations: Iterable[Alteration | str] = (),
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.providers = list(providers)
        self.routes = routes_for(self.providers, cassettes_root)
        self.port = port
        self.log = log
        self.exchanges: list[Exchange] = []
        self._alterations: tuple[Alteration, ...] = _parsed(alterations)
        self._counter = Counter()
        self._raw: dict[int, bytes] = {}  # by id() of interactions this server holds
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def alterations(self) -> tuple[Alteration, ...]:
        return self._alterations

    @alterations.setter
    def alterations(self, value: Iterable[Alteration | str]) -> None:
        self._alterations = _parsed(value)
        self._counter = Counter()

    @classmethod
    def at(
        cls,
        root: Path,
        providers: Iterable[str] = (),
        alterations: Iterable[Alteration | str] = (),
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> ReplayServer:
        """A server for the project at `root` (its `contracts/` and `cassettes/`), serving
        the providers named, or all of them.

            with ReplayServer.at(Path("."), ["openrouter"], ["status:429*1"]) as server:
                client = OpenAI(base_url=server.base_url("openrouter"), api_key="test")
        """
        registry = Project.at(root).require().registry
        names = list(providers) or registry.names
        chosen = [registry.provider(name) for name in names]
        return cls(chosen, Path(root) / "cassettes", alterations, port, log)

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the replay server is not running; call start() first")
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def base_url(self, provider: str, prefixed: bool = False) -> str:
        """Where a client should point its base URL for this provider."""
        chosen = next(p for p in self.providers if p.name == provider)
        path = urlsplit(chosen.base_url).path.rstrip("/")
        return self.url + (f"/{provider}" if prefixed else "") + path

    def bind(self) -> str:
        """Listen (without serving yet) and return the URL."""
        try:
            self._httpd = _Server((HOST, self.port), _Handler, self)
        except OSError as exc:
            detail = exc.strerror or str(exc)
            raise InputError(PORT_IN_USE.format(port=self.port, host=HOST, detail=detail)) from exc
        return self.url

    def start(self) -> str:
        """Serve in a background thread; returns the URL (`http://127.0.0.1:PORT`)."""
        url = self.bind()
        self._thread = threading.Thread(target=self.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return url

    def serve_forever(self) -> None:
        if self._httpd is None:
            self.bind()
        assert self._httpd is not None
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving and release every held connection (hung ones included)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- choosing what to answer ----------------------------------------------------------

    def match(self, method: str, path: str, body: Any) -> Route | None:
        candidates = [r for r in self.routes if r.method == method and r.pattern.fullmatch(path)]
        if not candidates:
            return None
        # Endpoints sharing a path (chat completions, streamed or not) differ by body fields.
        first = candidates[0].template
        same = [r for r in candidates if r.template == first]
        streamed = isinstance(body, dict) and body.get("stream") is True
        preferred = [r for r in same if (r.endpoint.stream is not None) == streamed]
        return _best_by_probe(preferred or same, body)

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if self.log is not None:
            self.log(str(exchange))

    def raw(self, interaction: Interaction) -> bytes:
        """The response body's bytes, serialized once (a `/models` list is 1.5 MB)."""
        key = id(interaction)
        if key not in self._raw:
            self._raw[key] = interaction.response.body.raw
        return self._raw[key]

    def fired(self, endpoint_id: str) -> list[Alteration]:
        return self._counter.take(self._alterations, endpoint_id)


def _parsed(alterations: Iterable[Alteration | str]) -> tuple[Alteration, ...]:
    return tuple(a if isinstance(a, Alteration) else parse(a) for a in alterations)


def _best_by_probe(routes: list[Route], body: Any) -> Route:
    """Among endpoints on one path, the one whose probe's top-level fields the body shares most."""
    if len(routes) == 1 or not isinstance(body, dict):
        return routes[0]

    def score(route: Route) -> int:
        probe = route.endpoint.probe.get("json")
        if not isinstance(probe, dict):
            return 0
        return sum(1 for key, value in probe.items() if body.get(key) == value)

    return max(routes, key=score)


def choose(route: Route, query: str, body: Any, wanted: str | None) -> Interaction | None:
    """The interaction to answer: the one asked for by index, else the success (a 2xx
    without the contract's error key) recorded with the most similar request: the same
    query counts twice, the same body once; a tie goes to the first recorded.

    Recorded error answers are served only when asked for by index, so that a client
    making a normal request gets a normal answer; errors on demand are what the
    `status:` alteration is for.
    """
    items = route.interactions
    if not items:
        return None
    if wanted is not None and wanted.isdigit() and int(wanted) < len(items):
        return items[int(wanted)]
    error_key = route.endpoint.error_branch.key if route.endpoint.error_branch else None

    def success(item: Interaction) -> bool:
        value = item.response.body.value
        return 200 <= item.response.status < 300 and not (
            isinstance(value, dict) and error_key in value
        )

    candidates = [item for item in items if success(item)] or list(items)
    asked = sorted(parse_qsl(query))

    def likeness(item: Interaction) -> int:
        recorded = item.request
        same_query = sorted(parse_qsl(urlsplit(recorded.uri).query)) == asked
        if body is None:
            same_body = recorded.body.kind == "empty"
        else:
            same_body = recorded.body.kind == "json" and recorded.body.value == body
        return 2 * same_query + same_body

    return max(candidates, key=likeness)  # max keeps the first of equals


# --- the HTTP side -----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], replay: ReplayServer
    ) -> None:
        self.replay = replay
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (about 40 ms per small answer).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged by `ReplayServer.record`, without headers or query values."""

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        replay = self.server.replay
        parts = urlsplit(self.path)
        raw = self._read_body()
        body = _json_or_none(raw)
        route = replay.match(self.command, parts.path, body)
        if route is None:
            known = ", ".join(sorted({f"{r.method} {r.template}" for r in replay.routes}))
            message = NO_ROUTE.format(method=self.command, path=parts.path, known=known)
            self._send_json(404, {"error": {"message": message, "type": "not_found"}}, {})
            replay.record(Exchange(self.command, parts.path, None, None, 404, ()))
            return
        endpoint = route.endpoint
        chosen = choose(route, parts.query, body, self.headers.get(INTERACTION_HEADER))
        fired = replay.fired(endpoint.id)
        names = tuple(str(a) for a in fired)
        fault = next((a for a in fired if a.replaces_answer), None)
        delay = sum(a.seconds or 0.0 for a in fired if a.action == "slow")

        def done(status: int | None, index: int | None = None) -> None:
            replay.record(Exchange(self.command, parts.path, endpoint.id, index, status, names))

        if fault is not None and fault.action == "hang":
            done(None)
            self._hang()
            return
        if fault is not None and fault.action == "reset":
            done(None)
            self._reset()
            return
        if fault is not None and fault.action == "status":
            self._send_status(fault)
            done(int(fault.value))
            return
        if chosen is None:
            message = NO_CASSETTE.format(endpoint=endpoint.id, provider=endpoint.provider)
            self._send_json(404, {"error": {"message": message, "type": "not_found"}}, {})
            done(404)
            return
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        response = chosen.response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
        for alteration in fired:
            if alteration.action == "echo":
                headers[f"X-Echo-{alteration.header}"] = (
                    request_headers.get(alteration.header.lower(), ""),
                )
        cut = next((a for a in fired if a.action == "cut"), None)
        if response.body.kind == "sse":
            self._send_stream(
                response.status,
                response.reason,
                headers,
                response.body,
                fired,
                request_headers,
                cut,
                delay,
            )
        else:
            payload = _payload(replay, chosen, fired, request_headers)
            if delay:
                time.sleep(delay)
            self._send(
                response.status,
                response.reason,
                headers,
                payload,
                response.content_type or _default_type(response.body),
            )
        done(response.status, chosen.index)

    # --- writing answers --------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        reason: str,
        headers: Mapping[str, Sequence[str]],
        payload: bytes,
        content_type: str,
    ) -> None:
        self.send_response(status, reason or None)
        for name, values in headers.items():
            if name.lower() == "content-type":
                continue
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _send_json(self, status: int, value: Any, headers: Mapping[str, Sequence[str]]) -> None:
        self._send(status, "", headers, orjson.dumps(value), "application/json")

    def _send_status(self, fault: Alteration) -> None:
        code = int(fault.value)
        headers: dict[str, tuple[str, ...]] = {}
        if fault.seconds is not None:
            seconds = fault.seconds
            headers["Retry-After"] = (
                str(int(seconds)) if seconds == int(seconds) else str(seconds),
            )
        message = f"simulated by the replay server (--alter {fault})"
        self._send_json(code, {"error": {"code": code, "message": message}}, headers)

    def _send_stream(
        self,
        status: int,
        reason: str,
        headers: Mapping[str, Sequence[str]],
        body: Body,
        fired: list[Alteration],
        request_headers: dict[str, str],
        cut: Alteration | None,
        delay: float,
    ) -> None:
        self.send_response(status, reason or None)
        for name, values in headers.items():
            if name.lower() != "content-type":
                for value in values:
                    self.send_header(name, value)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        events = split_events(str(body.value))
        altering = [a for a in fired if a.action in ("drop", "retype", "add", "echo")]
        if altering:
            events = [_alter_event(e, altering, request_headers) for e in events]
        if cut is not None:
            events = _cut(events, cut.events)
        try:
            for event in events:
                if delay:
                    time.sleep(delay)
                self._chunk(event.encode("utf-8"))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def _hang(self) -> None:
        """Hold the connection, answering nothing, until the client or the server gives up."""
        replay = self.server.replay
        self.close_connection = True
        while not replay._stopping.is_set():
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


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return dict(parse_qsl(raw.decode("utf-8", "replace")))  # a form body


def _cut(events: list[str], whole: int) -> list[str]:
    """The events up to the data event after `whole` data events, which ends halfway."""
    carrying = [n for n, event in enumerate(events) if _DATA_LINE.search(event)]
    if not carrying:
        return events
    at = carrying[min(whole, len(carrying) - 1)]
    event = events[at]
    data = _DATA_LINE.search(event)
    assert data is not None
    # Inside the data line's value: the event can neither end nor parse.
    middle = data.start() + len("data:") + max(len(data.group(0)) - len("data:"), 2) // 2
    return [*events[:at], event[:middle]]


def _alter_event(event: str, alterations: list[Alteration], headers: dict[str, str]) -> str:
    lines = event.split("\n")
    for number, line in enumerate(lines):
        if line.startswith("data:"):
            data = line[5:].lstrip(" ")
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue  # [DONE] and other sentinels
            lines[number] = (
                "data: " + orjson.dumps(alter_body(value, alterations, headers)).decode()
            )
    return "\n".join(lines)


def _payload(
    replay: ReplayServer, chosen: Interaction, fired: list[Alteration], headers: dict[str, str]
) -> bytes:
    body = chosen.response.body
    altering = [a for a in fired if a.action in ("drop", "retype", "add", "echo")]
    if body.kind == "json" and altering:
        return orjson.dumps(alter_body(body.value, altering, headers))
    return replay.raw(chosen)


def _default_type(body: Body) -> str:
    return {"json": "application/json", "sse": "text/event-stream"}.get(body.kind, "text/plain")
