"""The replay server: the committed cassettes answered over real HTTP on 127.0.0.1.

Each provider is served under its real paths (the path of its manifest's `base_url` plus
the endpoint's path, e.g. `/api/v1/chat/completions`) and also under `/PROVIDER/...`, so
that several providers never clash. A request is matched by the one matcher the test
transports use (`provider_contracts.replay.matching`), with the `lenient` policy: the
method and path must agree; then a recording that streams as asked (`stream: true`),
a success before a recorded error, and one recorded with exactly this request win. The
header `X-Contracts-Interaction: N` (an index or a name) asks for one interaction of the
endpoint matched, recorded errors included; one that does not exist is refused with a
400 naming those that do.

Event streams go out as they came: one chunk per event, flushed, with
`Transfer-Encoding: chunked`. Alterations (`provider_contracts.replay.alterations`) change
bodies and simulate outages, for tests of the live path and of a gateway. The HTTP side
is in `provider_contracts.replay.handler`.

Standard library only (`http.server.ThreadingHTTPServer`): nothing to install, and every
fault (a hang, a reset, a cut stream) is a few lines at the socket.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ..cassettes.cassette import cassette_paths
from ..contract.registry import Endpoint, Provider
from ..errors import InputError
from ..project import Project
from .alterations import Alteration, Counter, parse
from .faults import Canned, error_answer
from .handler import Exchange, Handler, Listening
from .matching import Candidate, Miss, RequestShape, Route
from .matching import match as match_request
from .playback import Recording, pick, recordings
from .scenarios import scenario as find_scenario
from .state import Idempotency, paged

__all__ = ["HISTORY", "HOST", "INTERACTION_HEADER", "Exchange", "ReplayServer", "served"]

HOST = "127.0.0.1"  # loopback only, never every interface
INTERACTION_HEADER = "X-Contracts-Interaction"
HISTORY = 1000  # requests kept in `ReplayServer.exchanges` (the oldest go first)
UNSERVED = (
    "--alter {spec!r}: @{scope} names no provider or endpoint served here; served: {served} "
    "(an endpoint is PROVIDER/ENDPOINT, as `contracts list` shows)"
)
PORT_IN_USE = "--port {port}: cannot listen on {host}:{port} ({detail}); pick another port or 0"

# What may answer: a recording, or nothing (an endpoint served without a cassette).
Served = Candidate[Recording | None]


def served(providers: Sequence[Provider], cassettes_root: Path) -> list[Served]:
    """Every recording of these providers as a match candidate: under the real paths first
    (the first provider wins a tie), then each under `/PROVIDER`. An endpoint without a
    cassette is a candidate carrying nothing, so that its path is known and answered 404."""
    real: list[Served] = []
    prefixed: list[Served] = []
    for provider in providers:
        secret = provider.redact.get("query", ())
        for endpoint in provider.endpoints.values():
            found = [
                recording
                for path in cassette_paths(cassettes_root, provider.name, endpoint.name)
                for recording in recordings(path, endpoint)
            ]
            for prefix, target in (("", real), (f"/{provider.name}", prefixed)):
                base = prefix + urlsplit(provider.base_url).path
                route = Route.of(endpoint, base, secret)
                if not found:
                    target.append(Candidate(route, None, endpoint.id, None, preferred=False))
                target.extend(Candidate(route, r.request, r.label, r, r.success) for r in found)
    return real + prefixed


class ReplayServer:
    """The cassettes of some providers served on 127.0.0.1; `start()` returns the URL.

    `with ReplayServer(...) as server:` starts it in a thread and stops it on exit.
    `alterations` may be replaced between requests; `exchanges` lists the last `history`
    requests answered; `scenario` names one of `replay.scenarios.SCENARIOS`.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        cassettes_root: Path,
        alterations: Iterable[Alteration | str] = (),
        port: int = 0,
        log: Callable[[str], None] | None = None,
        history: int = HISTORY,
        scenario: str | None = None,
    ) -> None:
        self.providers = list(providers)
        self.endpoints: Mapping[str, Endpoint] = {
            e.id: e for p in self.providers for e in p.endpoints.values()
        }
        self.candidates = served(self.providers, cassettes_root)
        self.scenario = find_scenario(scenario) if scenario else None
        self._scenario_alterations: tuple[Alteration, ...] = ()
        if self.scenario is not None:
            self.candidates = self.scenario.narrow(self.candidates)
            names = [p.name for p in self.providers]
            self._scenario_alterations = self.scenario.alterations(names)
        self._recorded: dict[str, list[Recording]] = {}  # by provider
        # `served` lists every candidate under the real paths, then again under /PROVIDER.
        for candidate in self.candidates[: len(self.candidates) // 2]:
            if candidate.payload is not None:
                provider = candidate.payload.endpoint.partition("/")[0]
                self._recorded.setdefault(provider, []).append(candidate.payload)
        self.port = port
        self.log = log
        self._exchanges: deque[Exchange] = deque(maxlen=max(history, 0))
        self._alterations: tuple[Alteration, ...] = self._served(_parsed(alterations))
        self._counter = Counter()
        self.stopping = threading.Event()
        self._idempotency = Idempotency()
        self._httpd: Listening | None = None
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def alterations(self) -> tuple[Alteration, ...]:
        return self._alterations

    @alterations.setter
    def alterations(self, value: Iterable[Alteration | str]) -> None:
        self._alterations = self._served(_parsed(value))
        self._counter = Counter()

    def _served(self, alterations: tuple[Alteration, ...]) -> tuple[Alteration, ...]:
        """The alterations, each scoped to a served provider or endpoint; an `InputError`
        for one that would never fire."""
        providers = {p.name for p in self.providers}
        for alteration in alterations:
            scope = alteration.scope
            if scope is not None and scope not in providers and scope not in self.endpoints:
                served = ", ".join(sorted(providers))
                raise InputError(UNSERVED.format(spec=str(alteration), scope=scope, served=served))
        return alterations

    @property
    def exchanges(self) -> list[Exchange]:
        """The requests answered, oldest first (at most `history` of them)."""
        return list(self._exchanges)

    @classmethod
    def at(
        cls,
        root: Path,
        providers: Iterable[str] = (),
        alterations: Iterable[Alteration | str] = (),
        port: int = 0,
        log: Callable[[str], None] | None = None,
        history: int = HISTORY,
        scenario: str | None = None,
    ) -> ReplayServer:
        """A server for the project at `root` (its `contracts/` and `cassettes/`), serving
        the providers named, or all of them.

            with ReplayServer.at(Path("."), ["openrouter"], ["status:429*1"]) as server:
                client = OpenAI(base_url=server.base_url("openrouter"), api_key="test")
        """
        registry = Project.at(root).require().registry
        names = list(providers) or registry.names
        chosen = [registry.provider(name) for name in names]
        return cls(chosen, Path(root) / "cassettes", alterations, port, log, history, scenario)

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
            self._httpd = Listening((HOST, self.port), Handler, self)
        except OSError as exc:
            detail = exc.strerror or str(exc)
            raise InputError(PORT_IN_USE.format(port=self.port, host=HOST, detail=detail)) from exc
        return self.url

    def start(self) -> str:
        """Serve in a background thread; returns the URL (`http://127.0.0.1:PORT`)."""
        url = self.bind()
        self._serving = True  # before the thread runs, so that stop() always shuts it down
        self._thread = threading.Thread(target=self.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return url

    def serve_forever(self) -> None:
        if self._httpd is None:
            self.bind()
        assert self._httpd is not None
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving and release every held connection (hung ones included)."""
        self.stopping.set()
        if self._httpd is not None:
            if self._serving:  # shutdown() waits for a serve_forever() that never ran
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

    def choose(
        self, method: str, target: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[Endpoint, Recording | Canned | None] | None:
        """The endpoint a request reaches and what answers it: a recording (a list paged,
        an idempotent retry's first answer) or a refusal; None when no endpoint is served
        at that method and path. An `X-Contracts-Interaction` that names no interaction of
        the endpoint is an `InputError` naming those that exist."""
        shape = RequestShape.parse(method, target, body, headers.get("content-type"))
        found = match_request(self.candidates, shape, "lenient")
        if isinstance(found, Miss):
            return None
        endpoint = self.endpoints[found.route.endpoint]
        items = [c.payload for c in self.candidates if c.route == found.route and c.payload]
        chosen = found.payload
        wanted = headers.get(INTERACTION_HEADER.lower())
        if wanted is not None:
            index: str | int = int(wanted) if wanted.strip().lstrip("-").isdigit() else wanted
            chosen = pick(items, index, endpoint.id)[0]
        if chosen is None:
            return endpoint, None
        chosen = self._idempotency.answer(method, headers, chosen)
        return endpoint, paged(chosen, items, target) if method == "GET" else chosen

    def known(self) -> list[str]:
        """Every `METHOD /path` served, for a message about a request that matched none."""
        return sorted({f"{c.route.method} {c.route.path}" for c in self.candidates})

    def record(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)
        if self.log is not None:
            self.log(str(exchange))

    def fired(self, endpoint_id: str) -> list[Alteration]:
        return self._counter.take(self._alterations + self._scenario_alterations, endpoint_id)

    def fault(self, endpoint: Endpoint, alteration: Alteration) -> Canned:
        """The answer to a `status:N` alteration, in the provider's own error envelope."""
        recorded = self._recorded.get(endpoint.provider, [])
        code = int(alteration.value)
        return error_answer(endpoint, recorded, code, alteration.seconds, str(alteration))


def _parsed(alterations: Iterable[Alteration | str]) -> tuple[Alteration, ...]:
    return tuple(a if isinstance(a, Alteration) else parse(a) for a in alterations)
