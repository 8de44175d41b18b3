"""Learning what a consumer reads: its own tests, run again on answers changed one path at a time.

A test that passed on the replayed answers is run again once per *mutation*: one leaf
path of one answer it was given (a drift path, so every element of a list at once;
streams: every data event of one kind) removed, given another type, or, where the
schema closes the set of values, set to a value outside it. When the test fails, the
consumer reads that path and relies on what was changed: its presence, its type, or
the values it handles. Nothing else is inferred: a path no test notices is not read.

The test itself is run by the caller (`run(rewrite)` -> passed?); this module plans the
mutations, keeps the cost within a budget, and turns failures into `Observation`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from .. import jsonpath
from ..contract import sse
from ..contract.registry import Endpoint
from ..drift.guarantees import event_group, guarantee, split_group, values_at
from ..drift.shape import ErrorTest, error_test, shape
from ..replay.alterations import Alteration, alter_body
from ..replay.playback import Recording
from .model import Observation, Reliance

__all__ = ["Budget", "Lesson", "Mutation", "Rewrite", "learn", "mutations"]

Rewrite = Callable[[Recording], Recording]
UNLISTED = "contracts-learn-unlisted"  # a string no closed set of values lists
_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})
_LINE = re.compile(r".*?(?:\r\n|\n|\r|$)", re.DOTALL)


@dataclass(slots=True)
class Budget:
    """How many mutated runs are left for the whole session (`--contracts-learn-max`)."""

    limit: int
    spent: int = 0

    def take(self) -> bool:
        if self.spent >= self.limit:
            return False
        self.spent += 1
        return True


@dataclass(frozen=True, slots=True)
class Mutation:
    """One answer changed at one path in one way."""

    original: Recording
    path: str  # the drift path, `events[NAME].` first for a stream event
    relies: Reliance  # what the change takes away: presence, type, or the listed values
    alteration: Alteration
    types: tuple[str, ...]  # the types recorded there
    values: tuple[Any, ...]  # the values recorded there
    is_error: ErrorTest | None = None  # the endpoint's error-body test, which names error events

    def changed(self) -> Recording:
        """The recording as the mutated run replays it."""
        original = self.original
        body = original.interaction.response.body
        if original.events is None:
            content = orjson.dumps(alter_body(body.value, [self.alteration], {}))
            return replace(original, content=content)
        group = f"events[{split_group(self.path)[0]}]"
        events = tuple(
            _event(chunk, group, self.alteration, self.is_error) for chunk in original.events
        )
        return replace(original, content=b"".join(events), events=events)

    def rewrite(self) -> Rewrite:
        changed, original = self.changed(), self.original
        return lambda recording: changed if recording is original else recording


def _event(chunk: bytes, group: str, alteration: Alteration, is_error: ErrorTest | None) -> bytes:
    text = chunk.decode("utf-8")
    value = _data(text)
    if value is None or _group(text, value, is_error) != group:
        return chunk
    data = orjson.dumps(alter_body(value, [alteration], {})).decode()
    lines, written = [], False
    for line in _LINE.findall(text):
        if line.startswith("data:"):
            if not written:
                ending = line[len(line.rstrip("\r\n")) :]
                lines.append(f"data: {data}{ending}")
                written = True
        elif line:
            lines.append(line)
    return "".join(lines).encode("utf-8")


def _data(text: str) -> Any:
    parsed = sse.parse(text).data_events
    if len(parsed) != 1 or parsed[0].data is None:
        return None
    try:
        return orjson.loads(parsed[0].data)
    except orjson.JSONDecodeError:
        return None


def _group(text: str, value: Any, is_error: ErrorTest | None) -> str:
    return event_group(sse.parse(text).data_events[0], value, is_error or error_test(None))


def mutations(recording: Recording, endpoint: Endpoint) -> list[Mutation]:
    """Every mutation of one recorded answer, leaves in the order the body holds them."""
    body = recording.interaction.response.body
    if recording.events is None:
        if body.kind != "json":
            return []
        return list(_planned(recording, endpoint, "", [body.value], None))
    is_error = error_test(endpoint)
    groups: dict[str, list[Any]] = {}
    for chunk in recording.events:
        text = chunk.decode("utf-8", "replace")
        value = _data(text)
        if value is not None:
            groups.setdefault(_group(text, value, is_error), []).append(value)
    found: list[Mutation] = []
    for group, values in groups.items():
        found.extend(_planned(recording, endpoint, group, values, is_error))
    return found


def _planned(
    recording: Recording,
    endpoint: Endpoint,
    group: str,
    bodies: list[Any],
    is_error: ErrorTest | None,
) -> Iterator[Mutation]:
    types: dict[str, set[str]] = {}
    for value in bodies:
        for path, names in shape(value).items():
            types.setdefault(path, set()).update(names.split("|"))
    for path, seen in types.items():
        kinds = seen - {"absent"}
        if not path or not kinds or not kinds <= _SCALARS:
            continue
        try:
            tokens = jsonpath.parse(path)
        except ValueError:
            continue  # a key the path syntax cannot spell
        full = f"{group}.{path}" if group else path
        recorded = tuple(sorted(kinds))
        values = tuple(dict.fromkeys(v for b in bodies for v in values_at(b, path)))
        changes: list[tuple[Reliance, Alteration]] = []
        if not path.endswith("[]"):
            changes.append(("present", Alteration("drop", tokens)))
        changes.append(("type", Alteration("retype", tokens)))
        listed = guarantee(endpoint, full).values
        if listed is not None and kinds == {"string"} and f'"{UNLISTED}"' not in listed:
            changes.append(("values", Alteration("add", tokens, UNLISTED)))
        for relies, alteration in changes:
            yield Mutation(recording, full, relies, alteration, recorded, values, is_error)


@dataclass(slots=True)
class Lesson:
    """What one test showed."""

    test: str
    observations: list[Observation] = field(default_factory=list)
    runs: int = 0
    planned: int = 0

    @property
    def complete(self) -> bool:
        return self.runs == self.planned

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(o.path for o in self.observations))


def learn(
    test: str,
    answered: Sequence[Recording],
    endpoint_of: Callable[[str], Endpoint],
    run: Callable[[Rewrite], bool],
    budget: Budget,
) -> Lesson:
    """Run `test` once per mutation of the answers it was given (`run(rewrite)` -> passed)."""
    distinct = list({id(r): r for r in answered}.values())
    planned = [m for r in distinct for m in mutations(r, endpoint_of(r.endpoint))]
    lesson = Lesson(test, planned=len(planned))
    for mutation in planned:
        if not budget.take():
            break
        lesson.runs += 1
        if not run(mutation.rewrite()):
            lesson.observations.append(
                Observation(
                    mutation.original.endpoint,
                    mutation.path,
                    mutation.relies,
                    test,
                    mutation.types,
                    mutation.values,
                )
            )
    return lesson
