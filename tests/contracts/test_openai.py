"""The OpenAI contracts, both ways: what OpenAI publishes and sends holds, and what would
break a gateway (a missing field, a changed type, an unknown `object`, `finish_reason`
or `role`, a stream without `[DONE]`, content after the usage chunk, an error in another
shape) is a violation.

Bodies come from the committed cassettes (built from the examples in OpenAI's OpenAPI
description) and are changed one field at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.contract.validation import BodyResult
from support.bodies import (
    CONTRACTS,
    Change,
    assert_violation,
    changed,
    chunks_of,
    describe,
    interaction_params,
    interactions,
    recorded,
    removing,
    replay,
    setting,
    stream,
    validate,
)

ENDPOINTS = ["chat_completions", "chat_completions_stream", "models"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(CONTRACTS)


def endpoint(registry: Registry, name: str) -> Endpoint:
    return registry.endpoint(f"openai/{name}")


def check(registry: Registry, name: str, body: Any, status: int = 200) -> BodyResult:
    """Validate a JSON value (dict/list) or raw text (a stream) against an endpoint."""
    return validate(endpoint(registry, name), body, status)


# --- the committed cassettes -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "item"), interaction_params("openai", ENDPOINTS))
def test_every_recorded_interaction_holds(
    registry: Registry, name: str, item: dict[str, Any]
) -> None:
    status = item["response"]["status"]["code"]
    result = replay(endpoint(registry, name), item["response"])
    assert result.ok, describe(result)
    assert result.branch == ("error" if status >= 400 else "success")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_has_a_cassette_with_a_success_and_an_error(name: str) -> None:
    statuses = {item["response"]["status"]["code"] for item in interactions("openai", name)}
    assert 200 in statuses and any(s >= 400 for s in statuses), statuses


def test_every_interaction_says_where_it_came_from() -> None:
    for name in ENDPOINTS:
        for item in interactions("openai", name):
            assert item.get("source"), f"{name}: {item['name']}"


# --- the recorded bodies the tests change ----------------------------------------------------


def answer() -> Any:
    return recorded("openai", "chat_completions", "a plain answer (the Default example)")


def tool_answer() -> Any:
    return recorded("openai", "chat_completions", "content null on a tool call; no refusal key")


def model_list() -> Any:
    return recorded("openai", "models", "the published model list, shutdown_date null and set")


def published_error() -> Any:
    return recorded("openai", "chat_completions", "invalid API key (401)")


# --- published and real-world bodies hold ----------------------------------------------------

HOLDS = [
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.message.content", "")),
        id="chat: content empty string (max tokens hit)",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.finish_reason", "length")),
        id="chat: finish_reason length",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.finish_reason", "content_filter")),
        id="chat: finish_reason content_filter",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("system_fingerprint", "fp_44709d6fcb")),
        id="chat: system_fingerprint a string",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("service_tier", "priority"), setting("moderation", None)),
        id="chat: service tier priority, moderation null",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.message.refusal", "I can't help with that.")),
        id="chat: a refusal",
    ),
    pytest.param(
        "chat_completions",
        changed(
            answer(),
            setting("brand_new_field", {"any": "thing"}),
            setting("choices.0.message.brand_new_field", 1),
            setting("usage.brand_new_counter", 3),
        ),
        id="chat: unknown new fields are allowed",
    ),
    pytest.param(
        "chat_completions",
        changed(
            tool_answer(),
            setting(
                "choices.0.message.tool_calls.0",
                {"id": "call_1", "type": "custom", "custom": {"name": "grep", "input": "x"}},
            ),
        ),
        id="chat: a custom tool call",
    ),
    pytest.param(
        "models",
        changed(model_list(), setting("data", [])),
        id="models: an empty list",
    ),
    pytest.param(
        "models",
        changed(model_list(), removing("data.0.shutdown_date")),
        id="models: without shutdown_date",
    ),
]


@pytest.mark.parametrize(("name", "body"), HOLDS)
def test_real_world_variations_hold(registry: Registry, name: str, body: Any) -> None:
    result = check(registry, name, body)
    assert result.ok, describe(result)
    assert result.branch == "success"


# --- bodies that would break a gateway are violations ---------------------------------------

MISSING = [
    pytest.param("chat_completions", answer(), "id", "", id="chat: id"),
    pytest.param("chat_completions", answer(), "object", "", id="chat: object"),
    pytest.param("chat_completions", answer(), "created", "", id="chat: created"),
    pytest.param("chat_completions", answer(), "model", "", id="chat: model"),
    pytest.param("chat_completions", answer(), "choices", "", id="chat: choices"),
    pytest.param("chat_completions", answer(), "usage", "", id="chat: usage"),
    pytest.param(
        "chat_completions", answer(), "choices.0.message", "/choices/0", id="chat: message"
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        "/choices/0",
        id="chat: finish_reason",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message.content",
        "/choices/0/message",
        id="chat: message.content",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message.role",
        "/choices/0/message",
        id="chat: message.role",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "usage.completion_tokens",
        "/usage",
        id="chat: usage.completion_tokens",
    ),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.function.name",
        "/choices/0/message/tool_calls/0/function",
        id="chat: tool_calls[].function.name",
    ),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.function.arguments",
        "/choices/0/message/tool_calls/0/function",
        id="chat: tool_calls[].function.arguments (OpenRouter may omit it; OpenAI may not)",
    ),
    pytest.param("models", model_list(), "object", "", id="models: object"),
    pytest.param("models", model_list(), "data", "", id="models: data"),
    pytest.param("models", model_list(), "data.0.id", "/data/0", id="models: data[].id"),
    pytest.param("models", model_list(), "data.0.created", "/data/0", id="models: data[].created"),
    pytest.param(
        "models", model_list(), "data.0.owned_by", "/data/0", id="models: data[].owned_by"
    ),
    pytest.param("chat_completions", published_error(), "error", "", id="error: error"),
    pytest.param(
        "chat_completions", published_error(), "error.type", "/error", id="error: error.type"
    ),
    pytest.param(
        "chat_completions",
        published_error(),
        "error.param",
        "/error",
        id="error: error.param (nullable, but required)",
    ),
    pytest.param(
        "chat_completions",
        published_error(),
        "error.code",
        "/error",
        id="error: error.code (nullable, but required)",
    ),
]


@pytest.mark.parametrize(("name", "body", "field", "at"), MISSING)
def test_a_missing_required_field_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, at: str
) -> None:
    status = 401 if "error" in body else 200
    result = check(registry, name, changed(body, removing(field)), status=status)
    assert_violation(result, at, field.rsplit(".", 1)[-1])


CHANGED_TYPE = [
    pytest.param("chat_completions", answer(), "created", "1741569952", id="chat: created as text"),
    pytest.param("chat_completions", answer(), "choices", [], id="chat: choices empty"),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message.content",
        [{"type": "text", "text": "Hello!"}],
        id="chat: content as a list of parts",
    ),
    pytest.param("chat_completions", answer(), "usage.total_tokens", 29.5, id="chat: fractional"),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.function.arguments",
        {"location": "Boston, MA"},
        id="chat: tool arguments as an object",
    ),
    pytest.param("models", model_list(), "data.0.created", "2023", id="models: created as text"),
    pytest.param("models", model_list(), "data.0.id", "", id="models: empty id"),
    pytest.param("models", model_list(), "data", {}, id="models: data as an object"),
    pytest.param(
        "chat_completions", published_error(), "error.code", 401, id="error: code as a number"
    ),
    pytest.param(
        "chat_completions", published_error(), "error.message", None, id="error: message null"
    ),
]


@pytest.mark.parametrize(("name", "body", "field", "value"), CHANGED_TYPE)
def test_a_changed_type_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, value: Any
) -> None:
    status = 401 if "error" in body else 200
    result = check(registry, name, changed(body, setting(field, value)), status=status)
    assert_violation(result, "/" + field.replace(".", "/"))


UNKNOWN_VALUE = [
    pytest.param("chat_completions", answer(), "object", "chat.completions", id="object"),
    pytest.param(
        "chat_completions",
        answer(),
        "object",
        "chat.completion.chunk",
        id="object chat.completion.chunk in a non-streamed answer",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        "error",
        id="finish_reason error (OpenRouter's, not OpenAI's)",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        None,
        id="finish_reason null in a non-streamed answer",
    ),
    pytest.param(
        "chat_completions", answer(), "choices.0.finish_reason", "end_turn", id="finish_reason"
    ),
    pytest.param("chat_completions", answer(), "choices.0.message.role", "user", id="role user"),
    pytest.param("models", model_list(), "object", "page", id="models: object page"),
    pytest.param("models", model_list(), "data.0.object", "engine", id="models: object engine"),
]


@pytest.mark.parametrize(("name", "body", "field", "value"), UNKNOWN_VALUE)
def test_an_unknown_object_finish_reason_or_role_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, value: Any
) -> None:
    result = check(registry, name, changed(body, setting(field, value)))
    assert_violation(result, "/" + field.replace(".", "/"))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_error_status_takes_the_openai_error_shape(
    registry: Registry, name: str, status: int
) -> None:
    result = check(registry, name, published_error(), status=status)
    assert result.ok, describe(result)
    assert result.branch == "error"


def test_an_openrouter_style_error_is_a_violation(registry: Registry) -> None:
    body = {"error": {"code": 429, "message": "Rate limit exceeded"}}
    result = check(registry, "chat_completions", body, status=429)
    assert_violation(result, "/error/code")
    assert_violation(result, "/error", "type")


# --- streams ---------------------------------------------------------------------------------


def stream_events(
    interaction: str = (
        "include_usage and obfuscation: usage null on each chunk, then a usage chunk with choices []"
    ),
) -> list[Any]:
    """The JSON chunks of a recorded stream (without [DONE])."""
    return chunks_of(recorded("openai", "chat_completions_stream", interaction))


def test_the_published_streaming_example_has_three_chunks_and_holds(registry: Registry) -> None:
    events = stream_events("the published Streaming example: role, content, finish chunks, [DONE]")
    assert [e["choices"][0]["finish_reason"] for e in events] == [None, None, "stop"]
    result = check(registry, "chat_completions_stream", stream(*events))
    assert result.ok, describe(result)
    assert result.events == 4


STREAM_HOLDS = [
    pytest.param(lambda ev: stream(*ev[:-1]), id="no usage chunk (include_usage off)"),
    pytest.param(
        lambda ev: stream(*[changed(e, removing("obfuscation")) for e in ev]),
        id="no obfuscation (include_obfuscation false)",
    ),
    pytest.param(
        lambda ev: stream(*[changed(e, removing("usage")) for e in ev[:-1]], ev[-1]),
        id="usage absent rather than null on content chunks",
    ),
    pytest.param(
        lambda ev: stream(
            changed(
                ev[0],
                setting(
                    "choices.0.delta.tool_calls",
                    [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                ),
            ),
            *ev[1:],
        ),
        id="a tool call in one piece",
    ),
    pytest.param(
        lambda ev: stream(
            *ev[:-2], changed(ev[-2], setting("choices.0.finish_reason", "length")), ev[-1]
        ),
        id="finish_reason length",
    ),
]


@pytest.mark.parametrize("build", STREAM_HOLDS)
def test_real_world_stream_variations_hold(
    registry: Registry, build: Callable[[list[Any]], str]
) -> None:
    result = check(registry, "chat_completions_stream", build(stream_events()))
    assert result.ok, describe(result)
    assert result.branch == "success"


CHUNK_BREAKS = [
    pytest.param(removing("choices"), "", id="chunk without choices"),
    pytest.param(removing("created"), "", id="chunk without created"),
    pytest.param(
        setting("object", "chat.completion"), "/object", id="chunk object chat.completion"
    ),
    pytest.param(
        setting("choices.0.finish_reason", "error"),
        "/choices/0/finish_reason",
        id="chunk finish_reason error (not OpenAI's)",
    ),
    pytest.param(
        setting("choices.0.delta.role", "bot"), "/choices/0/delta/role", id="chunk delta role bot"
    ),
    pytest.param(setting("obfuscation", 7), "/obfuscation", id="chunk obfuscation as a number"),
    pytest.param(
        removing("choices.0.finish_reason"), "/choices/0", id="chunk choice without finish_reason"
    ),
]


@pytest.mark.parametrize(("change", "at"), CHUNK_BREAKS)
def test_a_broken_chunk_is_a_violation(registry: Registry, change: Change, at: str) -> None:
    events = stream_events()
    events[0] = changed(events[0], change)
    result = check(registry, "chat_completions_stream", stream(*events))
    found = [v for v in result.violations if v.instance_path == at and v.event == 0]
    assert found, describe(result)


def test_a_stream_without_done_is_a_violation(registry: Registry) -> None:
    result = check(registry, "chat_completions_stream", stream(*stream_events(), done=False))
    assert any(v.kind == "sequence" and "[DONE]" in v.message for v in result.violations), describe(
        result
    )


def test_content_after_the_usage_chunk_is_a_violation(registry: Registry) -> None:
    events = stream_events()
    result = check(registry, "chat_completions_stream", stream(*events, events[1]))
    assert any(v.rule == "usage_chunk_last" for v in result.violations), describe(result)


def test_a_usage_chunk_with_a_string_count_is_a_violation(registry: Registry) -> None:
    events = stream_events()
    events[-1] = changed(events[-1], setting("usage.total_tokens", "29"))
    result = check(registry, "chat_completions_stream", stream(*events))
    assert_violation(result, "/usage/total_tokens")


def test_a_mid_stream_error_takes_the_error_branch(registry: Registry) -> None:
    events = stream_events()
    failure = {"error": {"message": "The server had an error", "type": "server_error",
                         "param": None, "code": None}}  # fmt: skip
    result = check(registry, "chat_completions_stream", stream(*events[:2], failure))
    assert result.ok, describe(result)
    assert result.branch == "error"


def test_a_mid_stream_error_in_another_shape_is_a_violation(registry: Registry) -> None:
    events = stream_events()
    failure = {"error": {"code": 500, "message": "upstream failed"}}
    result = check(registry, "chat_completions_stream", stream(*events[:2], failure))
    assert result.branch == "error"
    assert any(v.instance_path == "/error/code" and v.event == 2 for v in result.violations), (
        describe(result)
    )


def test_a_json_completion_where_a_stream_was_asked_is_a_violation(registry: Registry) -> None:
    result = check(registry, "chat_completions_stream", answer(), status=200)
    assert not result.ok
