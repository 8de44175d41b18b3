"""Pairing: the interactions of two recordings matched up, and the files they are read from.

Interactions are paired by method, path, status, whether they stream and whether the
body took the error branch; among several candidates, each new interaction is paired
with the old one it differs from least (a fresh probe against the committed example it
reproduces). Each interaction is reduced to its shape once, and interactions of the same
shape (types, stream structure, values of the listed sets) are compared once: pairing
costs one shape per interaction plus one comparison per pair of distinct shapes, so two
recordings of a thousand similar interactions pair in about the time it takes to read
them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..cassettes.cassette import Cassette, Interaction, from_dict
from ..contract.body import Body
from ..contract.registry import Endpoint
from ..contract.schemas import SchemaStore, store_for
from ..errors import BINARY_BODY, EMPTY_FILE, BodyError
from ..files import display, read_bytes
from .classify import Context, classify, values
from .findings import REASONS, SEVERITIES, Finding, ordered
from .shape import ErrorTest, Shape, error_test, shape_of

__all__ = ["NOT_A_RECORDING", "compare_interactions", "read_recording"]

_Key = tuple[str, str, int, bool, bool]  # method, path, status, streamed, error body


@dataclass(slots=True)
class _Side:
    """One interaction as pairing reads it: its shape, its listed values, and both as one key."""

    index: int
    shape: Shape
    values: dict[str, frozenset[str]]
    print: Hashable


class _Reader:
    """Reads the interactions of both recordings in shared contexts (one per status and kind)."""

    def __init__(self, endpoint: Endpoint | None, store: SchemaStore | None) -> None:
        self.endpoint = endpoint
        self.store = store
        self.is_error: ErrorTest = error_test(endpoint)
        self.contexts: dict[tuple[int, str, bool], Context] = {}

    def context(self, status: int, shape: Shape) -> Context:
        key = (status, shape.kind, shape.error)
        found = self.contexts.get(key)
        if found is None:
            found = self.contexts[key] = Context.of(
                self.endpoint, self.store, status, shape.kind, shape.error
            )
        return found

    def key(self, interaction: Interaction) -> _Key:
        response = interaction.response
        body = response.body
        stream = body.kind == "sse" or "event-stream" in response.content_type
        error = body.kind == "json" and self.is_error(body.value)
        # With a contract, every interaction is that endpoint's: its path template pairs a
        # fresh `/events/evt_new` with the committed `/events/evt_old`, whatever the host
        # or prefix the recording went through.
        endpoint = self.endpoint
        path = endpoint.path if endpoint else urlsplit(interaction.request.uri).path
        return (interaction.request.method, path, response.status, stream, error)

    def side(self, index: int, interaction: Interaction) -> _Side:
        shape = shape_of(interaction.response.body, self.is_error)
        listed = values(shape, self.context(interaction.response.status, shape))
        stream = shape.stream
        frame = (
            None
            if stream is None
            else (
                stream["terminator"],
                stream["comments"],
                stream["truncated"],
                frozenset(stream["events"]),
            )
        )
        print_ = (
            shape.kind,
            shape.error,
            frozenset(shape.types.items()),
            frame,
            frozenset(listed.items()),
        )
        return _Side(index, shape, listed, print_)


def _describe(key: _Key) -> str:
    method, path, status, stream, error = key
    extra = ", streamed" if stream else ", an error body" if error and status < 300 else ""
    return f"{method} {path} {status}{extra}"


def compare_interactions(
    old: Cassette, new: Cassette, endpoint: Endpoint | None
) -> tuple[Finding, ...]:
    """Drift between two recordings of an endpoint, interaction by interaction.

    A new interaction with no counterpart is risky (the probe got an answer never
    recorded); an old one without is noise (examples a probe does not reproduce). The
    same finding from several pairs is reported once.
    """
    store = store_for(endpoint.file.parent.parent.parent) if endpoint is not None else None
    reader = _Reader(endpoint, store)
    # per pairing key, the old interactions not yet paired, by shape, in recorded order
    waiting: dict[_Key, dict[Hashable, list[_Side]]] = {}
    for index, interaction in enumerate(old.interactions):
        side = reader.side(index, interaction)
        waiting.setdefault(reader.key(interaction), {}).setdefault(side.print, []).append(side)
    compared: dict[tuple[int, Hashable, Hashable], tuple[Finding, ...]] = {}
    found: dict[tuple[str, str, str, str], Finding] = {}
    for index, interaction in enumerate(new.interactions):
        key = reader.key(interaction)
        shapes = waiting.get(key)
        if not shapes:
            what = _describe(key)
            reason = REASONS["unpaired_new"].format(what=what)
            _keep(found, Finding("", "added", "absent", what, "risky", reason))
            continue
        mine = reader.side(index, interaction)
        best: tuple[tuple[int, ...], int, Hashable, tuple[Finding, ...]] | None = None
        for print_, sides in shapes.items():
            candidate = sides[0]  # the earliest of its shape: ties go to the earliest
            pair = (key[2], print_, mine.print)
            findings = compared.get(pair)
            if findings is None:
                context = reader.context(key[2], candidate.shape)
                findings = compared[pair] = classify(
                    candidate.shape, mine.shape, context, candidate.values, mine.values
                )
            counts = tuple(sum(f.severity == s for f in findings) for s in SEVERITIES)
            if best is None or (counts, candidate.index) < best[:2]:
                best = (counts, candidate.index, print_, findings)
        assert best is not None
        _, _, chosen, findings = best
        shapes[chosen].pop(0)
        if not shapes[chosen]:
            del shapes[chosen]
        for finding in findings:
            _keep(found, finding)
    for key, rest in waiting.items():
        if rest:
            what = _describe(key)
            reason = REASONS["unpaired_old"].format(what=what)
            _keep(found, Finding("", "removed", what, "absent", "noise", reason))
    return tuple(ordered(found.values()))


def _keep(found: dict[tuple[str, str, str, str], Finding], finding: Finding) -> None:
    found.setdefault((finding.path, finding.change, finding.old, finding.new), finding)


# --- reading what to compare ----------------------------------------------------------------

NOT_A_RECORDING = (
    "{where}: neither a cassette nor a JSON or event-stream body; give a cassette "
    "(cassettes/PROVIDER/ENDPOINT.json) or a response body exactly as the provider sent it"
)


def read_recording(path: Path) -> Cassette | Body:
    """A file to diff: a cassette (a JSON object with `interactions`) or a response body."""
    data = read_bytes(path, BodyError)
    where = display(path)
    body = Body.from_raw(data)
    if body.kind == "empty" or not data.strip():
        raise BodyError(EMPTY_FILE.format(where=where, fix="give a cassette or a response body"))
    if body.kind == "bytes":
        raise BodyError(BINARY_BODY.format(where=where))
    if body.kind == "text":
        raise BodyError(NOT_A_RECORDING.format(where=where))
    if body.kind == "json" and isinstance(body.value, dict) and "interactions" in body.value:
        return from_dict(body.value, path)
    return body
