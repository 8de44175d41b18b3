"""The stream rules run as machines (one per family, fed each event as it is read): run
together or one by one, on the short path or the long one, they report the same.

Over every real stream and each broken variant of it (tests/support/mutations.py).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.rules import RULES, Chunk, rule, run_stream
from provider_contracts.contract.rules.chunk_pass import ChunkPass
from provider_contracts.contract.rules.stream_run import replay
from support.bodies import CONTRACTS
from support.mutations import MUTATIONS, real_bodies
from support.paths import REPO

REGISTRY = Registry.load(CONTRACTS)


def _streams() -> list[tuple[str, tuple[str, ...], list[Chunk]]]:
    """(label, the stream rules and folds of its contract, its events) of each real stream
    and each broken variant of it."""
    found = []
    for real in real_bodies(REPO):
        if not real.streamed:
            continue
        spec = REGISTRY.endpoint(real.endpoint_id).stream
        assert spec is not None
        names = tuple(n for n in spec.rules if RULES[n].scope != "body")
        variants = [("real", real.parsed())] + [
            (m.name, m.change(copy.deepcopy(real.parsed()))) for m in MUTATIONS if m.applies(real)
        ]
        for how, events in variants:
            if not events:
                continue
            chunks = [
                Chunk(
                    i, name, data, name == "error" or (isinstance(data, dict) and "error" in data)
                )
                for i, (name, data) in enumerate(events)
                if data != "[DONE]"
            ]
            found.append((f"{real.source} ({how})", names, chunks))
    return found


STREAMS = _streams()


def _seen(violations: Any) -> list[tuple[Any, ...]]:
    return [(v.message, v.event, v.instance_path, v.excerpt) for v in violations]


def test_each_rule_alone_reports_what_the_rules_of_its_stream_report_together() -> None:
    assert len(STREAMS) > 100
    differ = {}
    for label, names, chunks in STREAMS:
        folds: list[Any] = []
        together = list(run_stream(names, chunks, lambda m, folds=folds: folds.append(m) or ()))
        for name in names:
            known = RULES[name]
            if known.scope == "fold":
                alone = known.check(chunks)
                if alone is not None and alone not in folds:
                    differ[(label, name)] = "folds otherwise"
            elif _seen(known.check(chunks)) != _seen(v for v in together if v.rule == name):
                differ[(label, name)] = "reports otherwise"
    assert differ == {}


def test_the_chunk_machines_short_path_ends_where_its_long_path_does() -> None:
    names = frozenset(n for n, r in RULES.items() if r.machine is ChunkPass)
    tried = 0
    for label, _, chunks in STREAMS:
        if not all(c.name is None for c in chunks):
            continue
        short, long = ChunkPass(names), ChunkPass(names)
        for chunk in chunks:
            for machine in (short, long):
                feed = machine.error if chunk.is_error else machine.feed
                feed(chunk.index, chunk.name, chunk.value)
            long.fast_at = None  # never the short path
        tried += 1
        assert short.folded() == long.folded(), label
        assert {k: _seen(v) for k, v in short.end(False).items()} == {
            k: _seen(v) for k, v in long.end(False).items()
        }, label
    assert tried > 50


def test_the_short_path_takes_the_common_chunk() -> None:
    def chunk(text: str, **more: Any) -> dict[str, Any]:
        return {"id": "c", "choices": [{"index": 0, "delta": {"content": text}, **more}]}

    chunks = [Chunk(i, None, chunk(t), False) for i, t in enumerate(["a", "b", "c", "d"])]
    machine = replay(ChunkPass, "chunks_fold_into_completion", chunks)
    assert machine.fast_at == 0 and machine.text == ["a", "b", "c", "d"]
    machine.feed(4, None, chunk("e", finish_reason="stop"))
    assert machine.fast_at is None  # a finished choice: every chunk takes the long path
    folded = machine.folded()
    assert folded is not None
    assert folded["choices"][0]["message"]["content"] == "abcde"


def test_a_stream_rule_without_a_machine_gets_the_events_as_a_list() -> None:
    seen: list[list[Chunk]] = []

    def every_event(chunks: list[Chunk]) -> list[Any]:
        seen.append(list(chunks))
        return []

    rule("test_listed", scope="stream", what="w", why="y", source="s")(every_event)
    try:
        chunks = [Chunk(0, None, {"a": 1}, False), Chunk(1, None, {"error": {}}, True)]
        assert list(run_stream(["test_listed", "one_usage_chunk"], chunks)) == []
    finally:
        del RULES["test_listed"]
    assert seen == [chunks]


@pytest.mark.parametrize("name", sorted(n for n, r in RULES.items() if r.scope != "body"))
def test_every_stream_and_fold_rule_runs_as_a_machine(name: str) -> None:
    assert RULES[name].machine is not None
