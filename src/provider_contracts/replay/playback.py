"""Playback: the cassettes of the endpoints a test names, ready to answer its requests.

Cassettes are read once per process and kept while their file is unchanged (keyed by
path, modification time and size), and each response's bytes (and a stream's events)
are prepared then: a test pays for a lookup, not for parsing a 1.5 MB `/models` body.
Nothing here sends anything anywhere; a request no recording answers is refused
(`UnmatchedRequest`) and remembered, so the test can fail with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cassettes.cassette import WIRE_HEADERS, Interaction, cassette_paths, header, read
from ..contract.registry import Endpoint
from ..contract.sse import split_events
from ..errors import CassetteError, InputError, UnmatchedRequest
from ..files import display
from ..project import Project
from .matching import Candidate, Miss, Policy, RequestShape, Route, match

__all__ = [
    "Recording",
    "Replayer",
    "Selection",
    "candidates",
    "event_chunks",
    "pick",
    "provenance",
    "recordings",
]

NO_CASSETTE = (
    "{endpoint}: no cassette to replay ({path} does not exist); record it with "
    "`contracts record {provider} --endpoint {name}`"
)
NO_INTERACTION = "interaction={wanted!r}: {endpoint} has no such interaction; it has {known}"
_DEFAULT_TYPE = {"json": "application/json", "sse": "text/event-stream"}


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded interaction, prepared to be answered again."""

    endpoint: str  # PROVIDER/ENDPOINT
    cassette: Path
    interaction: Interaction
    request: RequestShape
    success: bool  # a 2xx that is not the contract's error under a success status
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    content: bytes
    events: tuple[bytes, ...] | None  # a text/event-stream body, cut after each event

    @property
    def label(self) -> str:
        name = self.interaction.label
        return f"{self.endpoint} {name} in {display(self.cassette)}"


@dataclass(frozen=True, slots=True)
class Selection:
    """An endpoint a test replays, and optionally the one interaction it wants."""

    endpoint: str
    interaction: str | int | None = None


def event_chunks(text: str) -> tuple[bytes, ...]:
    """An event stream cut after each blank line: one chunk per event; joined, the original."""
    return tuple(piece.encode("utf-8") for piece in split_events(text))


_CACHE: dict[tuple[Path, str], tuple[tuple[int, int], tuple[Recording, ...]]] = {}
_PROVENANCE: dict[Path, Mapping[str, Any]] = {}


def recordings(path: Path, endpoint: Endpoint) -> tuple[Recording, ...]:
    """The recordings of one cassette file, read again only when the file changed."""
    key = (path.resolve(), endpoint.id)
    try:
        stat = key[0].stat()
    except OSError:
        read(path)  # raises the one-line CassetteError that names the file
        raise
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    cassette = read(path)
    prepared = tuple(_prepare(endpoint, path, item) for item in cassette.interactions)
    _CACHE[key] = (stamp, prepared)
    _PROVENANCE[key[0]] = cassette.provenance
    return prepared


def provenance(path: Path) -> Mapping[str, Any]:
    """The provenance of a cassette read for replay (read now if it was not)."""
    key = path.resolve()
    if key not in _PROVENANCE:
        _PROVENANCE[key] = read(path).provenance
    return _PROVENANCE[key]


def _prepare(endpoint: Endpoint, path: Path, interaction: Interaction) -> Recording:
    request, response = interaction.request, interaction.response
    success = 200 <= response.status < 300 and not endpoint.is_error_body(response.body.value)
    if request.body.kind == "json":
        value = request.body.value
        shape = RequestShape.from_fields(
            request.method, request.uri, value if isinstance(value, dict) else None
        )
    else:
        shape = RequestShape.parse(
            request.method, request.uri, request.body.raw, header(request.headers, "content-type")
        )
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() not in WIRE_HEADERS
        for value in values
    ]
    if header(response.headers, "content-type") is None and response.body.kind in _DEFAULT_TYPE:
        headers.append(("Content-Type", _DEFAULT_TYPE[response.body.kind]))
    content = response.body.raw if response.body.kind != "empty" else b""
    return Recording(
        endpoint=endpoint.id,
        cassette=path,
        interaction=interaction,
        request=shape,
        success=success,
        status=response.status,
        reason=response.reason,
        headers=tuple(headers),
        content=content,
        events=event_chunks(response.body.text) if response.body.kind == "sse" else None,
    )


def candidates(
    project: Project,
    selections: Iterable[Selection],
    also: Path | None = None,
    missing_ok: bool = False,
) -> list[Candidate[Recording]]:
    """Every recording of the selected endpoints, in the order named, as match candidates.

    `also` is a consumer's own cassette folder, laid out as `cassettes/` is, whose
    recordings follow the project's; `missing_ok` lets an endpoint have none at all (it is
    about to be recorded)."""
    found: list[Candidate[Recording]] = []
    registry = project.registry
    for selection in selections:
        endpoint = registry.endpoint(selection.endpoint)
        provider = registry.provider(endpoint.provider)
        route = Route.of(endpoint, provider.base_url, provider.redact.get("query", ()))
        paths = cassette_paths(project.cassettes, endpoint.provider, endpoint.name)
        if also is not None:
            paths += cassette_paths(also, endpoint.provider, endpoint.name)
        if not paths and not missing_ok:
            raise CassetteError(
                NO_CASSETTE.format(
                    endpoint=endpoint.id,
                    path=display(project.cassettes / endpoint.provider / f"{endpoint.name}.json"),
                    provider=endpoint.provider,
                    name=endpoint.name,
                )
            )
        chosen = [r for path in paths for r in recordings(path, endpoint)]
        if selection.interaction is not None:
            chosen = pick(chosen, selection.interaction, endpoint.id)
        found.extend(Candidate(route, r.request, r.label, r, r.success) for r in chosen)
    return found


def pick(items: Sequence[Recording], wanted: str | int, endpoint: str) -> list[Recording]:
    """The one recording asked for by index or name; an `InputError` naming those that exist."""
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        picked = [items[wanted]] if -len(items) <= wanted < len(items) else []
    else:
        picked = [r for r in items if r.interaction.name == wanted]
    if not picked:
        known = ", ".join(
            f"{i}: {r.interaction.name!r}" if r.interaction.name else str(i)
            for i, r in enumerate(items)
        )
        raise InputError(NO_INTERACTION.format(wanted=wanted, endpoint=endpoint, known=known))
    return picked[:1]


class Replayer:
    """Answers a test's requests from recordings, and keeps what it could not answer.

    The policy is `strict` (see `matching.match`): a request that agrees with no recording
    is refused, so that a test never passes on an answer meant for another request.
    `rewrite`, when set, changes each answer on its way out (learning a consumer mutates
    answers through it); `answered` keeps the recordings as they are.
    """

    def __init__(
        self, candidates: Sequence[Candidate[Recording]], policy: Policy = "strict"
    ) -> None:
        self.candidates = tuple(candidates)
        self.policy: Policy = policy
        self.answered: list[Recording] = []
        self.misses: list[Miss[Recording]] = []
        self.rewrite: Callable[[Recording], Recording] | None = None

    def answer(
        self, method: str, url: str, body: bytes | None, content_type: str | None
    ) -> Recording:
        """The recording for this request; `UnmatchedRequest` (and a kept miss) if none."""
        shape = RequestShape.parse(method, url, body, content_type)
        found = match(self.candidates, shape, self.policy)
        if isinstance(found, Miss):
            self.misses.append(found)
            raise UnmatchedRequest(found.message)
        self.answered.append(found.payload)
        return found.payload if self.rewrite is None else self.rewrite(found.payload)
