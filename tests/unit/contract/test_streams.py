from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.contract.validation import validate_response


def chunk(content: str | None = "x", finish: str | None = None, **extra: Any) -> str:
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [{"delta": {"content": content}, "finish_reason": finish}],
        **extra,
    }
    return "data: " + json.dumps(body) + "\n\n"


USAGE = (
    "data: "
    + json.dumps(
        {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 4}}
    )
    + "\n\n"
)
DONE = "data: [DONE]\n\n"


@pytest.fixture
def stream(sample: Path) -> Endpoint:
    return Registry.load(sample / "contracts").endpoint("acme/chat_stream")


@pytest.fixture
def typed(sample: Path) -> Endpoint:
    return Registry.load(sample / "contracts").endpoint("beta/messages_stream")


def messages(stream: Endpoint, text: str) -> list[str]:
    return [v.message for v in validate_response(stream, 200, text).violations]


def test_a_whole_stream_with_keep_alives_and_usage_holds(stream: Endpoint) -> None:
    text = ": OPENROUTER PROCESSING\n\n" + chunk("O") + chunk("K", "stop") + USAGE + DONE
    result = validate_response(stream, 200, text)
    assert result.ok and result.kind == "sse" and result.events == 4


def test_each_event_is_checked_against_the_chunk_schema(stream: Endpoint) -> None:
    result = validate_response(stream, 200, chunk(finish="banana") + DONE)
    (violation,) = result.violations
    assert (violation.event, violation.instance_path) == (0, "/choices/0/finish_reason")
    assert violation.location == "event 0 /choices/0/finish_reason"


def test_a_missing_terminator_is_a_violation(stream: Endpoint) -> None:
    assert messages(stream, chunk()) == ["the stream ends without its '[DONE]' terminator"]


def test_data_after_the_terminator_is_a_violation(stream: Endpoint) -> None:
    assert messages(stream, chunk() + DONE + chunk()) == ["data after the '[DONE]' terminator"]


def test_a_second_terminator_is_a_violation(stream: Endpoint) -> None:
    assert messages(stream, chunk() + DONE + DONE) == ["a second '[DONE]' terminator"]


def test_a_truncated_stream_is_a_violation_not_a_crash(stream: Endpoint) -> None:
    result = validate_response(stream, 200, chunk() + 'data: {"id": "c1", "obj')
    assert result.truncated
    assert [v.kind for v in result.violations] == ["sequence"]
    assert "truncated" in result.violations[0].message


def test_non_json_event_data_is_a_violation(stream: Endpoint) -> None:
    assert messages(stream, "data: {oops\n\n" + DONE) == ["event data is not JSON"]


def test_a_stream_without_data_events_is_a_violation(stream: Endpoint) -> None:
    assert messages(stream, ": only a comment\n\n") == [
        "the stream ends without its '[DONE]' terminator",
        "the stream carries no data events",
    ]


def test_a_chunk_without_choices_or_usage_holds(stream: Endpoint) -> None:
    # OpenAI sends one for prompt filter results first, and for moderation after usage.
    empty = (
        "data: "
        + json.dumps({"id": "c1", "object": "chat.completion.chunk", "choices": []})
        + "\n\n"
    )
    assert messages(stream, empty + chunk() + USAGE + empty + DONE) == []


def test_content_after_the_usage_chunk_is_a_violation_naming_the_rule(stream: Endpoint) -> None:
    (violation,) = validate_response(stream, 200, chunk() + USAGE + chunk() + DONE).violations
    assert violation.message == "content after the usage chunk (event 1)"
    assert (violation.rule, violation.event, violation.instance_path) == (
        "usage_chunk_last",
        2,
        "/choices/0/delta",
    )


def test_a_mid_stream_error_takes_the_error_branch(stream: Endpoint) -> None:
    error = "data: " + json.dumps({"error": {"code": 502, "message": "upstream died"}}) + "\n\n"
    result = validate_response(stream, 200, chunk() + error + DONE)
    assert result.ok and result.branch == "error"


def test_a_mid_stream_error_is_checked_against_the_error_schema(stream: Endpoint) -> None:
    error = "data: " + json.dumps({"error": {"code": "bad"}}) + "\n\n"
    result = validate_response(stream, 200, chunk() + error + DONE)
    assert {v.instance_path for v in result.violations} == {"/error", "/error/code"}


def event(name: str, **data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"


GOOD = (
    event("start")
    + event("content_block_start", index=0)
    + event("ping")
    + event("content_block_delta", index=0)
    + event("content_block_stop", index=0)
    + event("stop")
)


def test_a_typed_stream_in_order_holds(typed: Endpoint) -> None:
    assert validate_response(typed, 200, GOOD).ok


def test_each_typed_event_is_checked_against_its_own_schema(typed: Endpoint) -> None:
    wrong = GOOD.replace('data: {"type": "ping"}', 'data: {"type": "stop"}')
    (violation,) = validate_response(typed, 200, wrong).violations
    assert (violation.event, violation.instance_path) == (2, "/type")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("event: start\n", "event: ping\n"),
            "the first event must be 'start', not 'ping'",
        ),
        (
            GOOD.rsplit("event: stop", 1)[0],
            "the last event must be 'stop', not 'content_block_stop'",
        ),
        (GOOD.replace("event: ping\n", "event: pong\n"), "unknown event type 'pong' (known: "),
        (GOOD.replace("event: ping\n", ""), "an event without an `event:` name"),
        (
            event("start") + event("content_block_delta", index=0) + event("stop"),
            "content_block_delta for content block 0, never started",
        ),
        (
            event("start")
            + event("content_block_start", index=0)
            + event("content_block_start", index=0)
            + event("content_block_stop", index=0)
            + event("stop"),
            "content block 0 started twice",
        ),
        (
            event("start")
            + event("content_block_start", index=0)
            + event("content_block_stop", index=0)
            + event("content_block_delta", index=0)
            + event("stop"),
            "content_block_delta for content block 0, already stopped",
        ),
        (
            event("start") + event("content_block_start", index=1) + event("stop"),
            "content block 1 is never stopped",
        ),
    ],
    ids=[
        "first",
        "last",
        "unknown-type",
        "unnamed",
        "delta-before-start",
        "start-twice",
        "delta-after-stop",
        "never-stopped",
    ],
)
def test_typed_sequence_rules(typed: Endpoint, text: str, expected: str) -> None:
    found = messages(typed, text)
    assert any(m.startswith(expected) for m in found), found


def test_a_typed_stream_may_end_on_an_error_event(typed: Endpoint) -> None:
    text = (
        event("start")
        + event("content_block_start", index=0)
        + event("error", error={"type": "overloaded_error"})
    )
    result = validate_response(typed, 200, text)
    assert result.ok and result.branch == "error"


def test_events_after_an_error_event_are_a_violation(typed: Endpoint) -> None:
    text = event("start") + event("error", error={}) + event("stop")
    assert messages(typed, text) == ["events after an error event"]
