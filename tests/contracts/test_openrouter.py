"""The OpenRouter contracts, both ways: what OpenRouter publishes and sends holds, and
what would break a gateway (a missing field, a changed type, an unknown `object`,
`finish_reason` or `role`, a stream without `[DONE]` or with data after it, content
after the usage chunk) is a violation.

Bodies come from the committed cassettes (built from the published examples in
OpenRouter's OpenAPI description) and are changed one field at a time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.contract.validation import BodyResult, validate_response
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

ENDPOINTS = [
    "chat_completions",
    "chat_completions_stream",
    "models",
    "key",
    "credits",
    "generation",
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(CONTRACTS)


def endpoint(registry: Registry, name: str) -> Endpoint:
    return registry.endpoint(f"openrouter/{name}")


def check(registry: Registry, name: str, body: Any, status: int = 200) -> BodyResult:
    """Validate a JSON value (dict/list) or raw text (a stream) against an endpoint."""
    return validate(endpoint(registry, name), body, status)


# --- the committed cassettes -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "item"), interaction_params("openrouter", ENDPOINTS))
def test_every_recorded_interaction_holds(
    registry: Registry, name: str, item: dict[str, Any]
) -> None:
    response = item["response"]
    status = response["status"]["code"]
    content_type = response["headers"]["Content-Type"][0]
    body = response["body"]
    result = replay(endpoint(registry, name), response, headers={"content-type": content_type})
    assert result.ok, describe(result)
    erroneous = status >= 400 or (isinstance(body.get("json"), dict) and "error" in body["json"])
    erroneous = erroneous or any('"error":' in line for line in body.get("sse", []))
    assert result.branch == ("error" if erroneous else "success")


def test_every_endpoint_has_a_cassette_with_a_success_and_an_error(registry: Registry) -> None:
    for name in ENDPOINTS:
        statuses = {item["response"]["status"]["code"] for item in interactions("openrouter", name)}
        assert 200 in statuses and any(s >= 400 for s in statuses), name


def test_cassette_streams_end_with_done_and_a_blank_line() -> None:
    for item in interactions("openrouter", "chat_completions_stream"):
        lines = item["response"]["body"].get("sse")
        if lines is not None:
            assert "\n".join(lines).endswith("data: [DONE]\n\n"), item["name"]


# --- the recorded bodies the tests change ----------------------------------------------------


def answer() -> Any:
    return recorded("openrouter", "chat_completions", "a plain answer; usage without cost")


def tool_answer() -> Any:
    return recorded("openrouter", "chat_completions", "content null on a tool call")


def model_list() -> Any:
    return recorded("openrouter", "models", "the published model list (no pagination fields)")


def key_info() -> Any:
    return recorded("openrouter", "key", "a key with a monthly limit")


def credits() -> Any:
    return recorded("openrouter", "credits", "credits purchased and used")


def generation() -> Any:
    return recorded("openrouter", "generation", "a generation's cost and tokens")


# --- published and real-world bodies hold ----------------------------------------------------

HOLDS = [
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.message.content", None)),
        id="chat: content null",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.message.content", "")),
        id="chat: content empty string",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.finish_reason", None)),
        id="chat: finish_reason null (ChatFinishReasonEnum allows it)",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("choices.0.finish_reason", "error")),
        id="chat: finish_reason error",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), removing("system_fingerprint")),
        id="chat: without system_fingerprint",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("system_fingerprint", None)),
        id="chat: system_fingerprint null",
    ),
    pytest.param(
        "chat_completions",
        changed(answer(), setting("usage.cost", None)),
        id="chat: usage cost null",
    ),
    pytest.param(
        "chat_completions",
        changed(
            answer(),
            setting("choices.0.logprobs", None),
            setting("choices.0.native_finish_reason", "end_turn"),
            setting("choices.0.message.refusal", None),
            setting("choices.0.message.reasoning", None),
            setting("provider", "OpenAI"),
        ),
        id="chat: the fields OpenRouter adds to the published shape",
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
            answer(),
            setting("usage.prompt_tokens_details", None),
            setting("usage.completion_tokens_details", {"reasoning_tokens": None}),
        ),
        id="chat: token details null",
    ),
    pytest.param(
        "models",
        changed(
            model_list(),
            setting("data.0.architecture.input_modalities", ["text", "hologram"]),
            setting("data.0.architecture.tokenizer", "NewFamily"),
            setting("data.0.supported_parameters", ["temperature", "brand_new_param"]),
        ),
        id="models: new modalities, tokenizers and parameters are additive",
    ),
    pytest.param(
        "models",
        changed(
            model_list(),
            setting("data.0.pricing.prompt", "-1"),
            setting("data.0.pricing.completion", "1e-7"),
            setting("data.0.pricing.brand_new_price", "0.5"),
        ),
        id="models: prices as decimal strings, negative and exponent forms",
    ),
    pytest.param(
        "models",
        changed(
            model_list(),
            setting("data.0.context_length", None),
            removing("data.0.canonical_slug"),
            removing("data.0.links"),
        ),
        id="models: context_length null, optional fields gone",
    ),
    pytest.param(
        "key",
        changed(key_info(), removing("data.rate_limit"), removing("data.is_provisioning_key")),
        id="key: without the deprecated fields",
    ),
    pytest.param(
        "key",
        changed(
            key_info(),
            setting("data.limit", None),
            setting("data.limit_remaining", None),
            setting("data.limit_reset", None),
        ),
        id="key: no limit",
    ),
    pytest.param(
        "credits",
        changed(credits(), setting("data.total_credits", 0), setting("data.total_usage", 0)),
        id="credits: integer zero amounts",
    ),
    pytest.param(
        "generation",
        changed(
            generation(),
            setting("data.workspace_id", None),
            setting("data.provider_responses", None),
        ),
        id="generation: nullable fields null",
    ),
    pytest.param(
        "generation",
        changed(generation(), setting("data.api_type", "brand_new_api")),
        id="generation: a new api_type is additive",
    ),
]


@pytest.mark.parametrize(("name", "body"), HOLDS)
def test_real_world_variations_hold(registry: Registry, name: str, body: Any) -> None:
    result = check(registry, name, body)
    assert result.ok, describe(result)
    assert result.branch == "success"


# --- bodies that would break a gateway are violations ---------------------------------------


def test_missing_choices_is_a_violation(registry: Registry) -> None:
    result = check(registry, "chat_completions", changed(answer(), removing("choices")))
    assert_violation(result, "", "choices")


MISSING = [
    pytest.param("chat_completions", answer(), "id", "", id="chat: id"),
    pytest.param("chat_completions", answer(), "object", "", id="chat: object"),
    pytest.param("chat_completions", answer(), "created", "", id="chat: created"),
    pytest.param("chat_completions", answer(), "model", "", id="chat: model"),
    pytest.param("chat_completions", answer(), "usage", "", id="chat: usage"),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message",
        "/choices/0",
        id="chat: choices[].message",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.finish_reason",
        "/choices/0",
        id="chat: choices[].finish_reason",
    ),
    pytest.param(
        "chat_completions", answer(), "choices.0.index", "/choices/0", id="chat: choices[].index"
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
        "choices.0.message.content",
        "/choices/0/message",
        id="chat: message.content",
    ),
    pytest.param(
        "chat_completions", answer(), "usage.total_tokens", "/usage", id="chat: usage.total_tokens"
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "usage.prompt_tokens",
        "/usage",
        id="chat: usage.prompt_tokens",
    ),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.id",
        "/choices/0/message/tool_calls/0",
        id="chat: tool_calls[].id",
    ),
    pytest.param("models", model_list(), "data", "", id="models: data"),
    pytest.param("models", model_list(), "data.0.id", "/data/0", id="models: data[].id"),
    pytest.param("models", model_list(), "data.0.pricing", "/data/0", id="models: data[].pricing"),
    pytest.param(
        "models",
        model_list(),
        "data.0.pricing.prompt",
        "/data/0/pricing",
        id="models: pricing.prompt",
    ),
    pytest.param(
        "models",
        model_list(),
        "data.0.pricing.completion",
        "/data/0/pricing",
        id="models: pricing.completion",
    ),
    pytest.param(
        "models",
        model_list(),
        "data.0.context_length",
        "/data/0",
        id="models: data[].context_length",
    ),
    pytest.param("key", key_info(), "data.label", "/data", id="key: data.label"),
    pytest.param("key", key_info(), "data.usage", "/data", id="key: data.usage"),
    pytest.param("key", key_info(), "data.limit", "/data", id="key: data.limit"),
    pytest.param("key", key_info(), "data.is_free_tier", "/data", id="key: data.is_free_tier"),
    pytest.param(
        "credits", credits(), "data.total_credits", "/data", id="credits: data.total_credits"
    ),
    pytest.param("credits", credits(), "data.total_usage", "/data", id="credits: data.total_usage"),
    pytest.param("generation", generation(), "data.id", "/data", id="generation: data.id"),
    pytest.param(
        "generation", generation(), "data.total_cost", "/data", id="generation: data.total_cost"
    ),
    pytest.param("generation", generation(), "data.model", "/data", id="generation: data.model"),
    pytest.param(
        "generation",
        generation(),
        "data.tokens_prompt",
        "/data",
        id="generation: data.tokens_prompt",
    ),
    pytest.param(
        "generation",
        generation(),
        "data.native_tokens_completion",
        "/data",
        id="generation: data.native_tokens_completion",
    ),
]


@pytest.mark.parametrize(("name", "body", "field", "at"), MISSING)
def test_a_missing_required_field_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, at: str
) -> None:
    result = check(registry, name, changed(body, removing(field)))
    assert_violation(result, at, field.rsplit(".", 1)[-1])


def test_a_tool_call_without_arguments_passes(registry: Registry) -> None:
    # real: claude-sonnet-4.5 through Google called a tool with only its name (pydantic-ai
    # test_openrouter_tool_optional_parameters, 2025-11; tests/data/real/openrouter/)
    body = changed(tool_answer(), removing("choices.0.message.tool_calls.0.function.arguments"))
    assert check(registry, "chat_completions", body).violations == ()


CHANGED_TYPE = [
    pytest.param(
        "chat_completions", answer(), "created", "1677652288", id="chat: created as a string"
    ),
    pytest.param("chat_completions", answer(), "id", 123, id="chat: id as a number"),
    pytest.param(
        "chat_completions", answer(), "choices", {"0": {}}, id="chat: choices as an object"
    ),
    pytest.param("chat_completions", answer(), "choices", [], id="chat: choices empty"),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message.content",
        [{"type": "text", "text": "Paris"}],
        id="chat: content as a list of parts",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "choices.0.message.content",
        42,
        id="chat: content as a number",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "usage.total_tokens",
        "35",
        id="chat: total_tokens as a string",
    ),
    pytest.param(
        "chat_completions",
        answer(),
        "usage.completion_tokens",
        1.5,
        id="chat: completion_tokens fractional",
    ),
    pytest.param("chat_completions", answer(), "usage.cost", "0.0012", id="chat: cost as a string"),
    pytest.param("chat_completions", answer(), "usage", None, id="chat: usage null"),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls.0.function.arguments",
        {"location": "Boston, MA"},
        id="chat: tool arguments as an object",
    ),
    pytest.param(
        "chat_completions",
        tool_answer(),
        "choices.0.message.tool_calls",
        {},
        id="chat: tool_calls as an object",
    ),
    pytest.param("models", model_list(), "data", {}, id="models: data as an object"),
    pytest.param(
        "models",
        model_list(),
        "data.0.pricing.prompt",
        0.00003,
        id="models: prompt price as a number",
    ),
    pytest.param(
        "models",
        model_list(),
        "data.0.pricing.completion",
        "free",
        id="models: completion price not a decimal",
    ),
    pytest.param(
        "models",
        model_list(),
        "data.0.context_length",
        "8192",
        id="models: context_length as a string",
    ),
    pytest.param("models", model_list(), "data.0.id", "", id="models: empty id"),
    pytest.param("key", key_info(), "data.limit", "100", id="key: limit as a string"),
    pytest.param("key", key_info(), "data.usage", None, id="key: usage null"),
    pytest.param(
        "key", key_info(), "data.is_free_tier", "false", id="key: is_free_tier as a string"
    ),
    pytest.param(
        "credits", credits(), "data.total_credits", "100.5", id="credits: total_credits as a string"
    ),
    pytest.param("credits", credits(), "data.total_usage", None, id="credits: total_usage null"),
    pytest.param(
        "generation", generation(), "data.total_cost", None, id="generation: total_cost null"
    ),
    pytest.param(
        "generation",
        generation(),
        "data.tokens_prompt",
        "10",
        id="generation: tokens_prompt as a string",
    ),
    pytest.param("generation", generation(), "data.id", 7, id="generation: id as a number"),
]


@pytest.mark.parametrize(("name", "body", "field", "value"), CHANGED_TYPE)
def test_a_changed_type_is_a_violation(
    registry: Registry, name: str, body: Any, field: str, value: Any
) -> None:
    result = check(registry, name, changed(body, setting(field, value)))
    assert_violation(result, "/" + field.replace(".", "/"))


UNKNOWN_VALUE = [
    pytest.param("object", "chat.completions", id="object chat.completions"),
    pytest.param(
        "object",
        "chat.completion.chunk",
        id="object chat.completion.chunk in a non-streamed answer",
    ),
    pytest.param("choices.0.finish_reason", "eos", id="finish_reason eos"),
    pytest.param(
        "choices.0.finish_reason",
        "function_call",
        id="finish_reason function_call (not OpenRouter's)",
    ),
    pytest.param("choices.0.finish_reason", "STOP", id="finish_reason STOP"),
    pytest.param("choices.0.message.role", "user", id="role user"),
    pytest.param("choices.0.message.role", "model", id="role model"),
]


@pytest.mark.parametrize(("field", "value"), UNKNOWN_VALUE)
def test_an_unknown_object_finish_reason_or_role_is_a_violation(
    registry: Registry, field: str, value: Any
) -> None:
    result = check(registry, "chat_completions", changed(answer(), setting(field, value)))
    assert_violation(result, "/" + field.replace(".", "/"))


def test_an_unknown_tool_call_type_is_a_violation(registry: Registry) -> None:
    body = changed(tool_answer(), setting("choices.0.message.tool_calls.0.type", "custom"))
    result = check(registry, "chat_completions", body)
    assert_violation(result, "/choices/0/message/tool_calls/0/type")


# --- errors ----------------------------------------------------------------------------------


def published_error(status: int) -> Any:
    for item in interactions("openrouter", "chat_completions"):
        if item["response"]["status"]["code"] == status:
            return copy.deepcopy(item["response"]["body"]["json"])
    raise LookupError(status)


@pytest.mark.parametrize(
    "status", [400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 524, 529, 418, 599]
)
def test_every_error_status_takes_the_openrouter_error_shape(
    registry: Registry, status: int
) -> None:
    body = {"error": {"code": status, "message": "x", "metadata": None}, "user_id": None}
    result = check(registry, "chat_completions", body, status=status)
    assert result.ok, describe(result)
    assert result.branch == "error"


BAD_ERRORS = [
    pytest.param(
        429,
        {
            "error": {
                "message": "Rate limit",
                "type": "rate_limit_error",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
        "/error/code",
        id="an OpenAI-shaped error (string code)",
    ),
    pytest.param(401, {"message": "Missing Authentication header"}, "", id="no error object"),
    pytest.param(402, {"error": {"code": 402}}, "/error", id="error without a message"),
    pytest.param(
        402, {"error": {"message": "Insufficient credits"}}, "/error", id="error without a code"
    ),
    pytest.param(500, {"error": "Internal Server Error"}, "/error", id="error as a string"),
    pytest.param(
        403,
        changed({"error": {"code": 403, "message": "x"}}, setting("error.metadata", ["x"])),
        "/error/metadata",
        id="metadata as a list",
    ),
]


@pytest.mark.parametrize(("status", "body", "at"), BAD_ERRORS)
def test_an_error_in_another_shape_is_a_violation(
    registry: Registry, status: int, body: Any, at: str
) -> None:
    result = check(registry, "chat_completions", body, status=status)
    assert result.branch == "error"
    assert_violation(result, at)


def test_an_html_page_under_a_5xx_is_a_violation(registry: Registry) -> None:
    result = validate_response(
        endpoint(registry, "chat_completions"),
        status=524,
        body=b"<html><body>A timeout occurred</body></html>",
        headers={"content-type": "text/html"},
    )
    assert not result.ok and result.branch == "error"


def test_an_error_under_http_200_takes_the_error_branch(registry: Registry) -> None:
    body = recorded("openrouter", "chat_completions", "an upstream error under HTTP 200")
    result = check(registry, "chat_completions", body, status=200)
    assert result.ok, describe(result)
    assert result.branch == "error"


def test_an_error_under_http_200_with_a_string_code_is_a_violation(registry: Registry) -> None:
    body = changed(
        recorded("openrouter", "chat_completions", "an upstream error under HTTP 200"),
        setting("error.code", "502"),
    )
    result = check(registry, "chat_completions", body, status=200)
    assert result.branch == "error"
    assert_violation(result, "/error/code")


@pytest.mark.parametrize("name", ["models", "key", "credits", "generation"])
def test_the_other_endpoints_take_the_error_shape_too(registry: Registry, name: str) -> None:
    good = check(registry, name, published_error(401), status=401)
    assert good.ok, describe(good)
    bad = check(registry, name, {"error": {"code": "unauthorized", "message": "x"}}, status=401)
    assert_violation(bad, "/error/code")


# --- streams ---------------------------------------------------------------------------------


def stream_lines(
    interaction: str = "keep-alive comments, final usage chunk with choices [] and cost, [DONE]",
) -> list[str]:
    lines: list[str] = recorded("openrouter", "chat_completions_stream", interaction)
    return lines


def test_a_recorded_stream_rebuilt_from_its_events_holds(registry: Registry) -> None:
    body = ": OPENROUTER PROCESSING\n\n" + stream(*chunks_of(stream_lines()))
    result = check(registry, "chat_completions_stream", body)
    assert result.ok, describe(result)
    assert result.branch == "success"


STREAM_HOLDS = [
    pytest.param(lambda ev: stream(*ev[:-1]), id="no usage chunk"),
    pytest.param(
        lambda ev: stream(*ev[:-1], changed(ev[-1], removing("usage.cost"))),
        id="usage chunk without cost",
    ),
    pytest.param(
        lambda ev: stream(*[changed(e, setting("usage", None)) for e in ev[:-1]], ev[-1]),
        id="usage null on every content chunk",
    ),
    pytest.param(
        lambda ev: stream(
            *[changed(e, setting("choices.0.logprobs", None)) for e in ev[:-1]], ev[-1]
        ),
        id="logprobs null on every content chunk",
    ),
    pytest.param(
        lambda ev: (
            "".join(f": OPENROUTER PROCESSING\n\ndata: {json.dumps(e)}\n\n" for e in ev)
            + ": OPENROUTER PROCESSING\n\ndata: [DONE]\n\n"
        ),
        id="a keep-alive comment before every event",
    ),
    pytest.param(
        lambda ev: stream(changed(ev[0], setting("choices.0.delta.content", None)), *ev[1:]),
        id="delta content null",
    ),
]


@pytest.mark.parametrize("build", STREAM_HOLDS)
def test_real_world_stream_variations_hold(
    registry: Registry, build: Callable[[list[Any]], str]
) -> None:
    result = check(registry, "chat_completions_stream", build(chunks_of(stream_lines())))
    assert result.ok, describe(result)


def test_a_stream_without_done_is_a_violation(registry: Registry) -> None:
    result = check(
        registry, "chat_completions_stream", stream(*chunks_of(stream_lines()), done=False)
    )
    assert any(v.kind == "sequence" and "[DONE]" in v.message for v in result.violations), describe(
        result
    )


def test_data_after_done_is_a_violation(registry: Registry) -> None:
    events = chunks_of(stream_lines())
    body = stream(*events) + f"data: {json.dumps(events[1])}\n\n"
    result = check(registry, "chat_completions_stream", body)
    assert any(v.kind == "sequence" and "after" in v.message for v in result.violations), describe(
        result
    )


def test_a_second_done_is_a_violation(registry: Registry) -> None:
    body = stream(*chunks_of(stream_lines())) + "data: [DONE]\n\n"
    result = check(registry, "chat_completions_stream", body)
    assert any(v.kind == "sequence" for v in result.violations), describe(result)


def test_content_after_the_usage_chunk_is_a_violation(registry: Registry) -> None:
    events = chunks_of(stream_lines())
    usage_chunk, content_chunk = events[-1], events[1]
    assert usage_chunk["choices"] == []
    result = check(registry, "chat_completions_stream", stream(*events, content_chunk))
    found = [v for v in result.violations if v.rule == "usage_chunk_last"]
    assert found and found[0].event is not None, describe(result)


def test_a_chunk_with_no_choices_and_no_usage_holds(registry: Registry) -> None:
    # OpenAI sends such chunks (prompt filter results, moderation); it adds nothing.
    events = chunks_of(stream_lines())
    result = check(
        registry,
        "chat_completions_stream",
        stream(*events[:-1], changed(events[-1], removing("usage"))),
    )
    assert result.ok, describe(result)


def test_a_truncated_stream_is_a_violation(registry: Registry) -> None:
    body = stream(*chunks_of(stream_lines()), done=False) + 'data: {"id":"chatcmpl-123","choi'
    result = check(registry, "chat_completions_stream", body)
    assert not result.ok
    assert result.truncated or any(v.kind == "sequence" for v in result.violations), describe(
        result
    )


def test_a_data_line_that_is_not_json_is_a_violation(registry: Registry) -> None:
    events = chunks_of(stream_lines())
    result = check(
        registry, "chat_completions_stream", stream(events[0], "OPENROUTER PROCESSING", *events[1:])
    )
    assert any(v.kind == "body" for v in result.violations), describe(result)


CHUNK_BREAKS = [
    pytest.param(removing("choices"), "", id="chunk without choices"),
    pytest.param(removing("id"), "", id="chunk without id"),
    pytest.param(
        setting("object", "chat.completion"), "/object", id="chunk object chat.completion"
    ),
    pytest.param(setting("created", "now"), "/created", id="chunk created as a string"),
    pytest.param(removing("choices.0.delta"), "/choices/0", id="chunk choice without delta"),
    pytest.param(
        removing("choices.0.finish_reason"), "/choices/0", id="chunk choice without finish_reason"
    ),
    pytest.param(
        setting("choices.0.finish_reason", "eos"),
        "/choices/0/finish_reason",
        id="chunk finish_reason eos",
    ),
    pytest.param(
        setting("choices.0.delta.role", "user"), "/choices/0/delta/role", id="chunk delta role user"
    ),
    pytest.param(
        setting("choices.0.delta.content", ["Hello"]),
        "/choices/0/delta/content",
        id="chunk delta content as a list",
    ),
    pytest.param(
        setting("choices.0.delta.tool_calls", [{"id": "call_1"}]),
        "/choices/0/delta/tool_calls/0",
        id="chunk tool call without index",
    ),
]


@pytest.mark.parametrize(("change", "at"), CHUNK_BREAKS)
def test_a_broken_chunk_is_a_violation(registry: Registry, change: Change, at: str) -> None:
    events = chunks_of(stream_lines())
    events[0] = changed(events[0], change)
    result = check(registry, "chat_completions_stream", stream(*events))
    found = [
        v
        for v in result.violations
        if v.kind == "schema" and v.instance_path == at and v.event is not None
    ]
    assert found, describe(result)


USAGE_CHUNK_BREAKS = [
    pytest.param(removing("usage.total_tokens"), "/usage", id="usage chunk without total_tokens"),
    pytest.param(
        setting("usage.total_tokens", "52"),
        "/usage/total_tokens",
        id="usage chunk total_tokens as a string",
    ),
    pytest.param(setting("usage.cost", "0.0012"), "/usage/cost", id="usage chunk cost as a string"),
]


@pytest.mark.parametrize(("change", "at"), USAGE_CHUNK_BREAKS)
def test_a_broken_usage_chunk_is_a_violation(registry: Registry, change: Change, at: str) -> None:
    events = chunks_of(stream_lines())
    events[-1] = changed(events[-1], change)
    result = check(registry, "chat_completions_stream", stream(*events))
    assert any(v.instance_path == at for v in result.violations), describe(result)


def test_a_mid_stream_error_takes_the_error_branch(registry: Registry) -> None:
    lines = recorded(
        "openrouter",
        "chat_completions_stream",
        "an upstream error mid-stream: error chunk with finish_reason error",
    )
    result = check(registry, "chat_completions_stream", "\n".join(lines))
    assert result.ok, describe(result)
    assert result.branch == "error"
    error_chunk = next(e for e in chunks_of(lines) if "error" in e)
    assert error_chunk["choices"][0]["finish_reason"] == "error"


def test_a_mid_stream_error_with_a_string_code_is_a_violation(registry: Registry) -> None:
    lines = recorded(
        "openrouter",
        "chat_completions_stream",
        "an upstream error mid-stream: error chunk with finish_reason error",
    )
    events = [
        changed(e, setting("error.code", "server_error")) if "error" in e else e
        for e in chunks_of(lines)
    ]
    result = check(registry, "chat_completions_stream", stream(*events))
    assert result.branch == "error"
    assert any(v.instance_path == "/error/code" for v in result.violations), describe(result)


def test_an_error_before_the_stream_may_arrive_as_json_under_200(registry: Registry) -> None:
    result = check(registry, "chat_completions_stream", published_error(429), status=200)
    assert result.ok, describe(result)
    assert result.branch == "error"


def test_a_json_completion_where_a_stream_was_asked_is_a_violation(registry: Registry) -> None:
    result = check(registry, "chat_completions_stream", answer(), status=200)
    assert not result.ok, describe(result)
