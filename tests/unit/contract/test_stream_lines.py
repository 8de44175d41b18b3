"""Streams checked from their stored lines read exactly as from their text.

`check_stream` frames events itself in one pass (no `sse.Event` per event); these tests
hold it to `sse.parse`, the reference reading of the WHATWG rules, on generated bodies
with every line ending, comments, names, multi-line data, a BOM and truncation.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider_contracts.contract import sse, streams
from provider_contracts.contract.body import Body
from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.contract.rules import RULES, Chunk, Rule
from provider_contracts.contract.schemas import store_for
from provider_contracts.contract.violations import Violation
from support.paths import DATA

ENDPOINT = Registry.load(DATA / "sample" / "contracts").endpoint("acme/chat_stream")

CHUNK = json.dumps({"id": "c1", "object": "chat.completion.chunk", "choices": []})
PIECES = st.sampled_from(
    [
        f"data: {CHUNK}",
        'data: {"id": "c1", "object": "chat.completion.chunk", "choices": [{"delta": {}}]}',
        'data: {"error": {"message": "upstream", "code": 502}}',
        "data: [DONE]",
        "data: not json",
        "data:{}",
        "data",
        "data: [1,",
        "data: 2]",
        ": keep-alive",
        ":",
        "event: ping",
        "event",
        "id: 7",
        "retry: 10",
        "unknown: field",
        "",
        "",
        "",
    ]
)


def check(endpoint: Endpoint, text: str | None, lines: list[str] | None) -> streams.StreamCheck:
    assert endpoint.stream is not None and endpoint.error_branch is not None
    branch = endpoint.error_branch
    store = store_for(endpoint.file.parent.parent.parent)
    return streams.check_stream(text, endpoint.stream, store, branch.key, branch.schema, lines)


def key(violations: tuple[Violation, ...]) -> list[tuple[str, str, int | None, str]]:
    return [(v.kind, v.message, v.event, v.instance_path) for v in violations]


@settings(max_examples=300)
@given(
    pieces=st.lists(PIECES, max_size=14),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    tail=st.sampled_from(["", "\n", "\n\n"]),
)
def test_lines_and_text_read_alike_and_as_sse_parse_frames(
    pieces: list[str], ending: str, bom: bool, tail: str
) -> None:
    endpoint = ENDPOINT
    text = ("\ufeff" if bom else "") + ending.join(pieces) + tail.replace("\n", ending)
    from_text = check(endpoint, text, None)
    stored = Body("sse", text).to_stored()
    assert stored is not None
    from_lines = check(endpoint, None, stored["sse"])
    assert key(from_lines.violations) == key(from_text.violations)
    assert (from_lines.events, from_lines.truncated) == (from_text.events, from_text.truncated)
    reference = sse.parse(text)
    assert from_text.events == len(reference.data_events)
    assert from_text.truncated == reference.truncated
    data_at = {e.index: e.data for e in reference.data_events}
    not_json = {v.event for v in from_text.violations if v.message == "event data is not JSON"}
    assert not_json <= set(data_at), (text, not_json, data_at)
    for index in not_json:
        with pytest.raises(json.JSONDecodeError):
            json.loads(data_at[index] or "")


def test_a_cassette_stream_keeps_its_lines_and_joins_them_only_when_asked() -> None:
    lines = ["data: 1", "", "data: [DONE]", "", ""]
    body = Body.from_lines(lines)
    assert body.lines is lines and body.kind == "sse"
    assert body.value == "data: 1\n\ndata: [DONE]\n\n"
    assert body == Body("sse", "data: 1\n\ndata: [DONE]\n\n")
    assert body.to_stored() == {"sse": lines}


def test_rules_read_every_parsed_event_in_order_with_error_positions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = ENDPOINT
    assert endpoint.stream is not None
    seen: dict[str, list[Any]] = {"one": [], "two": []}

    def recorder(name: str) -> Rule:
        def check(chunks: list[Chunk]) -> Any:
            seen[name].extend(((c.index, c.name, c.value), c.is_error) for c in chunks)
            return ()

        return Rule(name, "stream", "what", "why", "source", check)

    monkeypatch.setitem(RULES, "one", recorder("one"))
    monkeypatch.setitem(RULES, "two", recorder("two"))
    error = {"error": {"message": "upstream", "code": 502}}
    text = f": hi\n\ndata: {CHUNK}\n\ndata: oops\n\ndata: {json.dumps(error)}\n\ndata: [DONE]\n\n"
    for rules in (("one",), ("one", "two")):
        spec = replace(endpoint.stream, rules=rules)
        result = check(replace(endpoint, stream=spec), text, None)
        assert result.took_error_branch and result.events == 4
        for name in rules:
            assert seen[name] == [
                ((1, None, json.loads(CHUNK)), False),
                ((3, None, error), True),
            ]
            seen[name].clear()
