"""The Portkey contracts, both ways: what Portkey publishes and sends holds (OpenAI-format
bodies, its own gateway failures, the upstream's errors passed through, its response
headers), and what would break a gateway is a violation: a missing field, a changed
type, an unknown `object`/`finish_reason`/`role`, a missing or malformed trace id, a
cache status nobody knows, an error in neither shape.

Bodies and headers come from the committed cassettes and are changed one at a time.
"""

from __future__ import annotations

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
    content,
    describe,
    headers_of,
    interaction,
    interaction_params,
    interactions,
    removing,
    replay,
    setting,
    stream,
    validate,
)

ENDPOINTS = ["chat_completions", "chat_completions_stream", "models"]
ROUTED = ["chat_completions", "chat_completions_stream"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(CONTRACTS)


def endpoint(registry: Registry, name: str) -> Endpoint:
    return registry.endpoint(f"portkey/{name}")


# --- the committed cassettes -----------------------------------------------------------------


def recorded(name: str, interaction_name: str) -> Any:
    """A recorded body by its interaction name: parsed JSON, or the stream's text."""
    return content(interaction("portkey", name, interaction_name)["response"]["body"])


def recorded_headers(name: str, interaction_name: str) -> dict[str, str]:
    """A recorded response's headers as the contract sees them: {lower-cased name: first value}."""
    return headers_of(interaction("portkey", name, interaction_name)["response"])


def check(
    registry: Registry,
    name: str,
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> BodyResult:
    """Validate a JSON value or a stream's text, with these headers (the recorded ones by default)."""
    if headers is None:
        headers = dict(ROUTED_HEADERS) if status < 300 and name in ROUTED else {}
    return validate(endpoint(registry, name), body, status, headers)


PUBLISHED = "Portkey's published chat completion: no logprobs, system_fingerprint null; cache MISS"
PASSED_THROUGH = (
    "OpenAI's tool call passed through after one retry on the second target; cache DISABLED"
)
STREAM = "an OpenAI stream passed through: role, content, finish, usage chunk, [DONE]"
MODELS = "the published model list: total, slug and canonical_slug; no created or owned_by"
ROUTED_HEADERS = recorded_headers("chat_completions", PUBLISHED)


@pytest.mark.parametrize(("name", "item"), interaction_params("portkey", ENDPOINTS))
def test_every_recorded_interaction_holds(
    registry: Registry, name: str, item: dict[str, Any]
) -> None:
    status = item["response"]["status"]["code"]
    result = replay(endpoint(registry, name), item["response"])
    assert result.ok, describe(result)
    assert result.branch == ("error" if status >= 400 else "success")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_has_a_cassette_with_a_success_and_an_error(name: str) -> None:
    statuses = {item["response"]["status"]["code"] for item in interactions("portkey", name)}
    assert 200 in statuses and any(s >= 400 for s in statuses), statuses


@pytest.mark.parametrize("name", ROUTED)
def test_routed_successes_carry_the_portkey_headers_and_say_they_are_illustrative(
    name: str,
) -> None:
    for item in interactions("portkey", name):
        if item["response"]["status"]["code"] < 300:
            assert "x-portkey-trace-id" in item["response"]["headers"], item["name"]
            assert "illustrative" in item["source"], item["name"]


# --- the recorded bodies the tests change ----------------------------------------------------


def answer() -> Any:
    return recorded("chat_completions", PUBLISHED)


def tool_answer() -> Any:
    return recorded("chat_completions", PASSED_THROUGH)


def model_list() -> Any:
    return recorded("models", MODELS)


# --- bodies -----------------------------------------------------------------------------------

HOLDS = [
    pytest.param(
        "chat_completions",
        changed(answer(), setting("provider", "anthropic"), setting("choices.0.logprobs", None)),
        id="chat: a translated upstream's answer names its provider",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.message.content", "")),
        id="chat: content empty string",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("brand_new_field", [1]), setting("usage.cache_read", 3)),
        id="chat: unknown new fields are allowed",
    ),
    pytest.param(
        "models",
        changed(
            model_list(),
            setting("data.0.created", 1686935002),
            setting("data.0.owned_by", "openai"),
        ),
        id="models: created and owned_by, as the published Model has them",
    ),
    pytest.param("models", changed(model_list(), removing("total")), id="models: without total"),
]


@pytest.mark.parametrize(("name", "body"), HOLDS)
def test_real_world_variations_hold(registry: Registry, name: str, body: Any) -> None:
    result = check(registry, name, body)
    assert result.ok, describe(result)


MISSING = [
    pytest.param("chat_completions", answer(), "id", "", id="chat: id"),
    pytest.param("chat_completions", answer(), "object", "", id="chat: object"),
    pytest.param("chat_completions", answer(), "choices", "", id="chat: choices"),
    pytest.param("chat_completions", answer(), "usage", "", id="chat: usage"),
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
        "choices.0.finish_reason",
        "/choices/0",
        id="chat: finish_reason",
    ),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.id",
        "/choices/0/message/tool_calls/0",
        id="chat: tool_calls[].id",
    ),
    pytest.param("models", model_list(), "object", "", id="models: object"),
    pytest.param("models", model_list(), "data.0.id", "/data/0", id="models: data[].id"),
    pytest.param("models", model_list(), "data.0.object", "/data/0", id="models: data[].object"),
]


@pytest.mark.parametrize(("name", "body", "field", "at"), MISSING)
def test_a_missing_required_field_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, at: str
) -> None:
    result = check(registry, name, changed(body, removing(field)))
    assert_violation(result, at, kind="schema")


CHANGED_TYPE = [
    pytest.param("chat_completions", answer(), "created", "1711475054", id="chat: created as text"),
    pytest.param("chat_completions", answer(), "usage.prompt_tokens", "24", id="chat: tokens text"),
    pytest.param(
        "chat_completions", answer(), "choices.0.message.content", 4, id="chat: content a number"
    ),
    pytest.param("chat_completions", answer(), "provider", ["openai"], id="chat: provider a list"),
    pytest.param("models", model_list(), "total", "500", id="models: total as text"),
    pytest.param("models", model_list(), "data.0.created", "today", id="models: created as text"),
    pytest.param("models", model_list(), "data.0.slug", None, id="models: slug null"),
]


@pytest.mark.parametrize(("name", "body", "field", "value"), CHANGED_TYPE)
def test_a_changed_type_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, value: Any
) -> None:
    result = check(registry, name, changed(body, setting(field, value)))
    assert_violation(result, "/" + field.replace(".", "/"), kind="schema")


UNKNOWN_VALUE = [
    pytest.param("chat_completions", answer(), "object", "chat.completions", id="object"),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        "end_turn",
        id="finish_reason end_turn (Anthropic's, unmapped)",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        "error",
        id="finish_reason error (not in Portkey's published enum)",
    ),
    pytest.param("chat_completions", answer(), "choices.0.message.role", "model", id="role model"),
    pytest.param("models", model_list(), "object", "models", id="models: object models"),
    pytest.param("models", model_list(), "data.0.object", "llm", id="models: data[].object llm"),
]


@pytest.mark.parametrize(("name", "body", "field", "value"), UNKNOWN_VALUE)
def test_an_unknown_object_finish_reason_or_role_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, value: Any
) -> None:
    result = check(registry, name, changed(body, setting(field, value)))
    assert_violation(result, "/" + field.replace(".", "/"), kind="schema")


# --- errors: the gateway's own, and the upstream's passed through -----------------------------

ERRORS_HOLD = [
    pytest.param({"status": "failure", "message": "Invalid API Key"}, id="gateway failure"),
    pytest.param(
        {
            "status": "failure",
            "message": "Invalid config passed",
            "errors": ["path: retry.attempts, message: Expected number, received string"],
        },
        id="gateway failure with its config errors",
    ),
    pytest.param(
        {"error": {"message": "Rate limit", "type": "requests", "param": None, "code": None}},
        id="upstream error in OpenAI's form",
    ),
    pytest.param(
        {
            "error": {
                "message": "anthropic error: Overloaded",
                "type": "overloaded_error",
                "param": None,
                "code": None,
            },
            "provider": "anthropic",
        },
        id="upstream error rebuilt by the gateway, with its provider",
    ),
]


@pytest.mark.parametrize("status", [400, 401, 429, 500, 502])
@pytest.mark.parametrize("body", ERRORS_HOLD)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_both_error_shapes_hold_under_every_error_status(
    registry: Registry, name: str, body: Any, status: int
) -> None:
    result = check(registry, name, body, status=status)
    assert result.ok, describe(result)
    assert result.branch == "error"


ERRORS_BREAK = [
    pytest.param({"status": "error", "message": "Invalid API Key"}, id="status not failure"),
    pytest.param({"status": "failure"}, id="gateway failure without a message"),
    pytest.param({"message": "Not Found", "ok": False}, id="neither shape"),
    pytest.param({"error": {"message": "x", "type": "y"}}, id="OpenAI form without param and code"),
    pytest.param({"error": {"code": 429, "message": "x"}}, id="OpenRouter's form"),
    pytest.param(
        {"error": {"message": "x", "type": "y", "param": None, "code": None}, "provider": 1},
        id="provider as a number",
    ),
]


@pytest.mark.parametrize("body", ERRORS_BREAK)
def test_an_error_in_neither_shape_is_a_violation(registry: Registry, body: Any) -> None:
    result = check(registry, "chat_completions", body, status=400)
    assert not result.ok
    assert result.branch == "error"


# --- headers ----------------------------------------------------------------------------------

HEADERS_HOLD = [
    pytest.param({}, id="as recorded"),
    pytest.param({"x-portkey-cache-status": "HIT"}, id="cache HIT"),
    pytest.param({"x-portkey-cache-status": "SEMANTIC HIT"}, id="cache SEMANTIC HIT"),
    pytest.param({"x-portkey-cache-status": "REFRESH"}, id="cache REFRESH"),
    pytest.param({"x-portkey-trace-id": "my-own trace/42"}, id="a caller's own trace id"),
    pytest.param({"x-portkey-retry-attempt-count": "3"}, id="three retries"),
    pytest.param({"x-portkey-provider": "azure-openai"}, id="provider azure-openai"),
    pytest.param({"x-portkey-brand-new": "1"}, id="an unknown new header"),
]


@pytest.mark.parametrize("change", HEADERS_HOLD)
@pytest.mark.parametrize("name", ROUTED)
def test_portkey_header_variations_hold(
    registry: Registry, name: str, change: dict[str, str]
) -> None:
    body = answer() if name == "chat_completions" else recorded(name, STREAM)
    result = check(registry, name, body, headers={**ROUTED_HEADERS, **change})
    assert result.ok, describe(result)


def without(header: str) -> dict[str, str]:
    return {k: v for k, v in ROUTED_HEADERS.items() if k != header}


HEADERS_BREAK = [
    pytest.param(without("x-portkey-trace-id"), "", id="no trace id"),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-trace-id": ""}, "/x-portkey-trace-id", id="empty trace id"
    ),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-trace-id": "   "}, "/x-portkey-trace-id", id="blank trace id"
    ),
    pytest.param(without("x-portkey-provider"), "", id="no provider"),
    pytest.param(without("x-portkey-retry-attempt-count"), "", id="no retry count"),
    pytest.param(without("x-portkey-last-used-option-index"), "", id="no last used option"),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-retry-attempt-count": "one"},
        "/x-portkey-retry-attempt-count",
        id="retry count not a digit string",
    ),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-last-used-option-index": "-1"},
        "/x-portkey-last-used-option-index",
        id="option index negative",
    ),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-cache-status": "WARM"},
        "/x-portkey-cache-status",
        id="unknown cache status WARM",
    ),
    pytest.param(
        {**ROUTED_HEADERS, "x-portkey-cache-status": "hit"},
        "/x-portkey-cache-status",
        id="cache status in lower case",
    ),
]


@pytest.mark.parametrize(("headers", "at"), HEADERS_BREAK)
@pytest.mark.parametrize("name", ROUTED)
def test_missing_or_malformed_portkey_headers_are_violations(
    registry: Registry, name: str, headers: dict[str, str], at: str
) -> None:
    body = answer() if name == "chat_completions" else recorded(name, STREAM)
    result = check(registry, name, body, headers=headers)
    assert_violation(result, at, kind="headers")


def test_error_responses_owe_no_portkey_headers(registry: Registry) -> None:
    result = check(registry, "chat_completions", {"status": "failure", "message": "x"}, 401, {})
    assert result.ok, describe(result)


# --- streams ----------------------------------------------------------------------------------


def stream_events() -> list[Any]:
    return chunks_of(recorded("chat_completions_stream", STREAM).split("\n"))


def test_a_translated_stream_with_provider_on_each_chunk_holds(registry: Registry) -> None:
    events = [changed(e, setting("provider", "anthropic")) for e in stream_events()]
    result = check(registry, "chat_completions_stream", stream(*events))
    assert result.ok, describe(result)


CHUNK_BREAKS = [
    pytest.param(removing("id"), "", id="chunk without id"),
    pytest.param(setting("object", "chat.completion"), "/object", id="chunk object"),
    pytest.param(
        setting("choices.0.finish_reason", "end_turn"),
        "/choices/0/finish_reason",
        id="chunk finish_reason end_turn",
    ),
    pytest.param(
        setting("choices.0.delta.role", "model"), "/choices/0/delta/role", id="chunk role model"
    ),
    pytest.param(
        setting("choices.0.delta.content", 1), "/choices/0/delta/content", id="chunk content int"
    ),
]


@pytest.mark.parametrize(("change", "at"), CHUNK_BREAKS)
def test_a_broken_chunk_is_a_violation(registry: Registry, change: Change, at: str) -> None:
    events = stream_events()
    events[0] = changed(events[0], change)
    result = check(registry, "chat_completions_stream", stream(*events))
    assert any(v.instance_path == at and v.event == 0 for v in result.violations), describe(result)


def test_a_stream_without_done_is_a_violation(registry: Registry) -> None:
    result = check(registry, "chat_completions_stream", stream(*stream_events(), done=False))
    assert any(v.kind == "sequence" and "[DONE]" in v.message for v in result.violations)


def test_content_after_the_usage_chunk_is_a_violation(registry: Registry) -> None:
    events = stream_events()
    result = check(registry, "chat_completions_stream", stream(*events, events[1]))
    assert any(v.rule == "usage_chunk_last" for v in result.violations), describe(result)


def test_an_upstream_error_mid_stream_takes_the_error_branch(registry: Registry) -> None:
    events = stream_events()
    failure = {"error": {"message": "x", "type": "server_error", "param": None, "code": None}}
    result = check(registry, "chat_completions_stream", stream(*events[:2], failure))
    assert result.ok, describe(result)
    assert result.branch == "error"
