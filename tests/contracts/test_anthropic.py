"""Anthropic contracts: real Messages API answers pass; answers that would break a gateway fail.

The real answers are the cassette bodies, verbatim copies of what api.anthropic.com sent to
the anthropic-sdk-python test suite (see each cassette's `provenance` and `source`). The
broken ones are those bodies with one change each, the kind a provider makes without notice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.validation import BodyResult
from support.bodies import (
    CONTRACTS,
    Change,
    assert_violation,
    content,
    describe,
    interaction_params,
    removing,
    response,
    setting,
    validate,
)

REGISTRY = Registry.load(CONTRACTS)
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def check(endpoint: str, status: int, body: Any) -> BodyResult:
    return validate(REGISTRY.endpoint(f"anthropic/{endpoint}"), body, status, stream_type=SSE)


# --- SSE helpers: a stream as (event name, data) pairs and back ------------------------------


def events_of(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        name = next(line[len("event: ") :] for line in lines if line.startswith("event: "))
        data = next(line[len("data: ") :] for line in lines if line.startswith("data: "))
        found.append((name, json.loads(data)))
    return found


def stream_of(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def first(events: list[tuple[str, dict[str, Any]]], name: str) -> int:
    return next(i for i, (n, _) in enumerate(events) if n == name)


# --- real answers pass --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "interaction"), interaction_params("anthropic", ("messages", "messages_stream"))
)
def test_a_recorded_anthropic_answer_holds_to_its_contract(
    endpoint: str, interaction: dict[str, Any]
) -> None:
    resp = interaction["response"]
    status = resp["status"]["code"]
    result = check(endpoint, status, content(resp["body"]))
    assert result.violations == (), describe(result)
    assert result.branch == ("success" if status < 300 else "error")


def test_a_stream_that_ends_on_an_overloaded_error_event_takes_the_error_branch() -> None:
    _, text = response("anthropic", "messages_stream", "text stream:")
    events = events_of(text)
    cut = events[: first(events, "content_block_stop")]
    cut.append(
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    )
    result = check("messages_stream", 200, stream_of(cut))
    assert result.violations == (), describe(result)
    assert result.branch == "error"


def test_a_message_start_whose_stop_reason_is_already_set_still_passes() -> None:
    _, text = response("anthropic", "messages_stream", "text stream:")
    events = events_of(text)
    events[0][1]["message"]["stop_reason"] = "end_turn"
    result = check("messages_stream", 200, stream_of(events))
    assert result.violations == (), describe(result)


def test_a_thinking_block_as_the_sdk_describes_it_passes() -> None:
    _, body = response("anthropic", "messages", "text answer, stop_reason end_turn")
    body["content"].insert(
        0, {"type": "thinking", "thinking": "Two teas, one coffee.", "signature": "EqQB"}
    )
    result = check("messages", 200, body)
    assert result.violations == (), describe(result)


# --- answers that would break a consumer fail -------------------------------------------------

TEXT = "text answer, stop_reason end_turn"
TOOL = "text block then tool_use block"
SEARCH = "web search:"
RATE_LIMIT = "429 rate_limit_error"
BAD_REQUEST = "400 invalid_request_error"

BROKEN_MESSAGES = [
    pytest.param(TEXT, removing("content"), "", "content", id="a message without content"),
    pytest.param(TEXT, removing("usage"), "", "usage", id="a message without usage"),
    pytest.param(
        TEXT, setting("type", "completion"), "/type", "message", id="type other than 'message'"
    ),
    pytest.param(
        TEXT, setting("role", "model"), "/role", "assistant", id="role other than 'assistant'"
    ),
    pytest.param(
        TEXT,
        setting("content", "{}"),
        "/content",
        "array",
        id="content as a string instead of blocks",
    ),
    pytest.param(
        TEXT,
        setting("content.0.type", "image"),
        "/content/0/type",
        "image",
        id="a request-side block (image) in an answer",
    ),
    pytest.param(
        TEXT, removing("content.0.text"), "/content/0", "text", id="a text block without text"
    ),
    pytest.param(
        TEXT,
        setting("content.0.text", None),
        "/content/0/text",
        "string",
        id="text null instead of a string",
    ),
    pytest.param(
        TEXT,
        setting("stop_reason", None),
        "/stop_reason",
        "null",
        id="stop_reason null outside a stream",
    ),
    pytest.param(
        TEXT,
        setting("stop_reason", "length"),
        "/stop_reason",
        "length",
        id="an unknown stop_reason",
    ),
    pytest.param(
        TEXT,
        setting("usage.output_tokens", "50"),
        "/usage/output_tokens",
        "integer",
        id="usage.output_tokens as a string",
    ),
    pytest.param(
        TEXT,
        removing("usage.input_tokens"),
        "/usage",
        "input_tokens",
        id="usage without input_tokens",
    ),
    pytest.param(TEXT, setting("id", None), "/id", "string", id="id null"),
    pytest.param(
        TOOL,
        removing("content.1.input"),
        "/content/1",
        "input",
        id="a tool_use block without input",
    ),
    pytest.param(
        TOOL,
        setting("content.1.input", '{"location": "SF"}'),
        "/content/1/input",
        "object",
        id="tool_use input as JSON text instead of an object",
    ),
    pytest.param(
        TOOL, removing("content.1.id"), "/content/1", "id", id="a tool_use block without id"
    ),
    pytest.param(
        SEARCH,
        setting("content.1.content", "no results"),
        "/content/1/content",
        "",
        id="web_search_tool_result content neither results nor an error",
    ),
    pytest.param(
        RATE_LIMIT,
        setting("error.type", "quota_exceeded"),
        "/error/type",
        "quota_exceeded",
        id="429 with an error type outside the documented set",
    ),
    pytest.param(RATE_LIMIT, removing("error"), "", "error", id="429 without its error object"),
    pytest.param(
        BAD_REQUEST,
        removing("error.message"),
        "/error",
        "message",
        id="400 error without a message",
    ),
    pytest.param(
        BAD_REQUEST,
        setting("type", "invalid_request_error"),
        "/type",
        "error",
        id="400 body whose type is not 'error'",
    ),
]


@pytest.mark.parametrize(("interaction", "mutate", "where", "words"), BROKEN_MESSAGES)
def test_a_message_answer_that_would_break_a_consumer_is_a_violation(
    interaction: str, mutate: Change, where: str, words: str
) -> None:
    status, body = response("anthropic", "messages", interaction)
    result = check("messages", status, mutate(body))
    assert_violation(result, where, words)


def test_a_529_overloaded_answer_is_checked_against_the_error_schema() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert check("messages", 529, body).violations == ()
    broken = {"type": "error", "error": {"type": "overloaded", "message": "Overloaded"}}
    assert [v.instance_path for v in check("messages", 529, broken).violations] == ["/error/type"]


# --- streams that would break a consumer fail ------------------------------------------------

StreamChange = Callable[[list[tuple[str, dict[str, Any]]]], list[tuple[str, dict[str, Any]]]]


def drop(event: str) -> StreamChange:
    def change(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        del events[first(events, event)]
        return events

    return change


def edit(event: str, mutate: Change) -> StreamChange:
    def change(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        mutate(events[first(events, event)][1])
        return events

    return change


def rename_data(event: str, new_type: str) -> StreamChange:
    """The first `event` keeps its `event:` name but its data says another type."""
    return edit(event, setting("type", new_type))


TEXT_STREAM = "text stream:"
TOOL_STREAM = "tool_use stream"

BROKEN_STREAMS = [
    pytest.param(
        TEXT_STREAM,
        rename_data("content_block_delta", "content_block_stop"),
        "/type",
        "content_block_delta",
        id="a content_block_delta event whose data says content_block_stop",
    ),
    pytest.param(
        TEXT_STREAM,
        rename_data("message_delta", "message_stop"),
        "/type",
        "message_delta",
        id="a message_delta event whose data says message_stop",
    ),
    pytest.param(
        TEXT_STREAM,
        drop("content_block_start"),
        "",
        "never started",
        id="deltas for a content block that was never started",
    ),
    pytest.param(
        TEXT_STREAM,
        drop("content_block_stop"),
        "",
        "never stopped",
        id="a content block never stopped",
    ),
    pytest.param(
        TEXT_STREAM,
        drop("message_stop"),
        "",
        "message_stop",
        id="a stream that does not end with message_stop",
    ),
    pytest.param(
        TEXT_STREAM,
        drop("message_start"),
        "",
        "message_start",
        id="a stream that does not begin with message_start",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("content_block_delta", setting("delta.type", "text")),
        "/delta/type",
        "text",
        id="a delta type that is not a delta (no _delta suffix)",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("content_block_delta", removing("delta.text")),
        "/delta",
        "text",
        id="a text_delta without text",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("content_block_delta", removing("index")),
        "",
        "index",
        id="a content_block_delta without its block index",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("message_start", removing("message.usage")),
        "/message",
        "usage",
        id="message_start without usage",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("message_start", setting("message.role", "user")),
        "/message/role",
        "assistant",
        id="message_start with a role other than assistant",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("message_delta", removing("usage.output_tokens")),
        "/usage",
        "output_tokens",
        id="message_delta without usage.output_tokens",
    ),
    pytest.param(
        TEXT_STREAM,
        edit("message_delta", setting("delta.stop_reason", "stop")),
        "/delta/stop_reason",
        "stop",
        id="message_delta with an unknown stop_reason",
    ),
    pytest.param(
        TOOL_STREAM,
        edit("content_block_delta", removing("delta.partial_json")),
        "/delta",
        "partial_json",
        id="an input_json_delta without partial_json",
    ),
    pytest.param(
        TOOL_STREAM,
        edit("content_block_start", removing("content_block.name")),
        "/content_block",
        "name",
        id="a tool_use block start without the tool name",
    ),
]


@pytest.mark.parametrize(("interaction", "change", "where", "words"), BROKEN_STREAMS)
def test_a_stream_that_would_break_a_consumer_is_a_violation(
    interaction: str, change: StreamChange, where: str, words: str
) -> None:
    status, text = response("anthropic", "messages_stream", interaction)
    result = check("messages_stream", status, stream_of(change(events_of(text))))
    assert_violation(result, where, words)


def test_a_content_block_of_a_type_added_since_passes_for_drift_to_flag() -> None:
    """Content block types are an open set (contracts/README.md): new ones pass with a type."""
    status, body = response("anthropic", "messages", TEXT)
    added = {"type": "some_future_block", "payload": {"x": 1}}
    assert (
        check("messages", status, {**body, "content": [*body["content"], added]}).violations == ()
    )
    untyped = {"payload": {"x": 1}}
    assert check("messages", status, {**body, "content": [untyped]}).violations != ()


def test_a_delta_of_a_type_added_since_passes_for_drift_to_flag() -> None:
    _, text = response("anthropic", "messages_stream", TEXT_STREAM)
    events = events_of(text)
    at = first(events, "content_block_delta")
    name, data = events[at]
    events[at] = (name, {**data, "delta": {"type": "some_future_delta", "x": 1}})
    assert check("messages_stream", 200, stream_of(events)).violations == ()


def test_an_error_event_of_an_unknown_error_type_is_a_violation() -> None:
    _, text = response("anthropic", "messages_stream", TEXT_STREAM)
    events = events_of(text)[:2]
    events.append(("error", {"type": "error", "error": {"type": "meltdown", "message": "?"}}))
    result = check("messages_stream", 200, stream_of(events))
    assert [(v.event, v.instance_path) for v in result.violations] == [(2, "/error/type")]


def test_the_stream_rebuilt_from_its_events_is_the_recorded_one() -> None:
    """The helpers above change one thing at a time: unchanged, they give a valid stream back."""
    _, text = response("anthropic", "messages_stream", TEXT_STREAM)
    result = check("messages_stream", 200, stream_of(events_of(text)))
    assert result.violations == (), describe(result)
