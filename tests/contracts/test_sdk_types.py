"""The official SDKs as a second opinion on every real answer the contracts accept.

Every 200 body of the cassettes and of tests/data/real, and every event of their streams,
is read by the SDK's own types: openai `ChatCompletion`, `ChatCompletionChunk` and `Model`;
anthropic `Message` and its raw stream events; stripe objects through
`convert_to_stripe_object`. Where an SDK disagrees with an answer the contracts accept, the
disagreement is listed in `KNOWN` with the reason the contract is right to accept it; a
new one fails this test. (Where a schema is stricter than an SDK, its `$comment` says why.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pydantic
import pytest
from anthropic import types as anthropic_types
from openai.types import CompletionUsage, Model
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    chat_completion,
    chat_completion_chunk,
)
from stripe import StripeObject
from stripe._util import convert_to_stripe_object

from support.mutations import Real, is_error, real_bodies
from support.paths import REPO

REAL = list(real_bodies(REPO))

ANTHROPIC_EVENTS: dict[str, type[pydantic.BaseModel]] = {
    "message_start": anthropic_types.RawMessageStartEvent,
    "message_delta": anthropic_types.RawMessageDeltaEvent,
    "message_stop": anthropic_types.RawMessageStopEvent,
    "content_block_start": anthropic_types.RawContentBlockStartEvent,
    "content_block_delta": anthropic_types.RawContentBlockDeltaEvent,
    "content_block_stop": anthropic_types.RawContentBlockStopEvent,
}

_NEWER = (
    "a block type Anthropic added in 2025-26 (server tools, MCP, compaction, advisor) that "
    "anthropic 2.x's non-beta types do not have yet; the contract keeps content block types "
    "an open set (contracts/README.md, enum policy) and the SDK builds such a block "
    "without validating it"
)
_ADVISOR = (
    "a server tool the SDK's ServerToolUseBlock.name literal does not list yet ('advisor', "
    "2026); the contract does not close server tool names"
)
_FETCHES = (
    "usage.server_tool_use counts web_search_requests only in these answers; the SDK's "
    "ServerToolUsage requires web_fetch_requests too (the contract types server_tool_use "
    "as an object of counts, each checked by token_counts_non_negative)"
)
_FILE = (
    "OpenRouter annotates file inputs with type 'file'; openai types annotations as "
    "url_citation only; annotation kinds are an open set in the contract"
)
_PORTKEY_MODELS = (
    "Portkey answers /models itself with its catalogue's fields (no created, no owned_by); "
    "its schema follows Portkey's ListModelsResponse, not OpenAI's Model"
)
KNOWN: dict[str, str] = {
    "anthropic/messages content[]: type 'advisor_tool_result'": _NEWER,
    "anthropic/messages content[]: type 'compaction'": _NEWER,
    "anthropic/messages content[]: type 'mcp_tool_result'": _NEWER,
    "anthropic/messages content[]: type 'mcp_tool_use'": _NEWER,
    "anthropic/messages_stream content_block_start content_block: type 'advisor_tool_result'": _NEWER,
    "anthropic/messages_stream content_block_start content_block: type 'compaction'": _NEWER,
    "anthropic/messages_stream content_block_start content_block: type 'mcp_tool_result'": _NEWER,
    "anthropic/messages_stream content_block_start content_block: type 'mcp_tool_use'": _NEWER,
    "anthropic/messages_stream content_block_delta delta: type 'compaction_delta'": _NEWER,
    "anthropic/messages content[]: type 'server_tool_use'": _ADVISOR,
    "anthropic/messages_stream content_block_start content_block: type 'server_tool_use'": _ADVISOR,
    "anthropic/messages usage.server_tool_use.web_fetch_requests: missing": _FETCHES,
    "anthropic/messages_stream message_delta usage.server_tool_use.web_fetch_requests: missing": (
        _FETCHES
    ),
    "openrouter/chat_completions choices[].message.annotations[].type: literal_error": _FILE,
    "openrouter/chat_completions choices[].message.annotations[].url_citation: missing": _FILE,
    "openrouter/chat_completions choices[].message.tool_calls[]: type 'function'": (
        "OpenRouter sends a call of a tool whose parameters are all optional without "
        "`arguments` (pydantic-ai's test_openrouter_tool_optional_parameters); openai "
        "requires it; the contract accepts it for OpenRouter only and the rule "
        "tool_arguments_parse leaves such a call alone"
    ),
    "openrouter/chat_completions service_tier: literal_error": (
        "OpenRouter passes its upstream's service tier through (Gemini's 'standard'); openai "
        "types it as OpenAI's own tiers; the contract leaves it an open string"
    ),
    "portkey/models data[] created: missing": _PORTKEY_MODELS,
    "portkey/models data[] owned_by: missing": _PORTKEY_MODELS,
}


def _at(value: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        value = value[part]
    return value


def _disagreements(label: str, model: Callable[[Any], Any], value: Any) -> set[str]:
    """What the SDK refuses in `value`, one line per place: for a union (blocks, tool
    calls), the member type the SDK has no model for; else the place and pydantic's reason."""
    try:
        model(value)
    except pydantic.ValidationError as error:
        found = set()
        for item in error.errors():
            loc = list(item["loc"])
            union = next(
                (i for i, p in enumerate(loc) if isinstance(p, str) and p[:1].isupper()), None
            )
            path = loc[:union] if union is not None else loc
            where = ".".join("[]" if isinstance(p, int) else str(p) for p in path).replace(
                ".[]", "[]"
            )
            target = _at(value, tuple(path)) if union is not None else None
            if isinstance(target, dict) and "type" in target:
                found.add(f"{label} {where}: type {target['type']!r}")
            else:
                found.add(f"{label} {where}: {item['type']}")
        return found
    return set()


def _read(real: Real) -> set[str]:
    value, label = real.parsed(), real.endpoint_id
    if is_error(real, value):
        return set()
    if real.provider in ("openai", "openrouter", "portkey"):
        if real.endpoint == "chat_completions":
            return _disagreements(label, ChatCompletion.model_validate, value)
        if real.endpoint == "chat_completions_stream":
            return {d for _, chunk in value if isinstance(chunk, dict)
                    for d in _disagreements(label, ChatCompletionChunk.model_validate, chunk)}  # fmt: skip
        if real.endpoint == "models" and real.provider != "openrouter":
            return {d for model in value["data"]
                    for d in _disagreements(f"{label} data[]", Model.model_validate, model)}  # fmt: skip
        return set()  # OpenRouter's own endpoints have no openai type
    if real.provider == "anthropic" and real.endpoint == "messages":
        return _disagreements(label, anthropic_types.Message.model_validate, value)
    if real.provider == "anthropic":
        return {d for name, event in value if name in ANTHROPIC_EVENTS
                for d in _disagreements(f"{label} {name}", ANTHROPIC_EVENTS[name].model_validate, event)}  # fmt: skip
    return set()


def test_the_sdks_read_every_real_answer_but_the_known_disagreements() -> None:
    found: dict[str, list[str]] = {}
    for real in REAL:
        for disagreement in _read(real):
            found.setdefault(disagreement, []).append(real.source)
    unexplained = {d: sources[:3] for d, sources in found.items() if d not in KNOWN}
    assert unexplained == {}
    stale = set(KNOWN) - set(found)
    assert stale == set(), "disagreements the SDKs no longer have: drop them from KNOWN"


def _stripe_objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [o for item in value for o in _stripe_objects(item)]
    if not isinstance(value, dict):
        return []
    nested = [o for item in value.values() for o in _stripe_objects(item)]
    return [value, *nested] if isinstance(value.get("object"), str) else nested


@pytest.mark.parametrize(
    "real", [r for r in REAL if r.provider == "stripe"], ids=lambda r: r.source
)
def test_stripe_knows_every_object_kind_of_a_real_answer(real: Real) -> None:
    objects = _stripe_objects(real.parsed())
    assert objects
    # A kind the SDK does not know is built as a bare StripeObject.
    unknown = {o["object"] for o in objects if type(convert_to_stripe_object(o)) is StripeObject}
    assert unknown <= {"list", "search_result"}


def _defs(file: str) -> dict[str, Any]:
    return json.loads((REPO / "contracts" / file).read_text())["$defs"]  # type: ignore[no-any-return]


OPENAI_CHAT = _defs("_shared/openai_chat.schema.json")
ANTHROPIC_MESSAGE = _defs("anthropic/schemas/message.schema.json")
SHAPES = [
    (OPENAI_CHAT["ChatCompletion"], ChatCompletion),
    (OPENAI_CHAT["Choice"], chat_completion.Choice),
    (OPENAI_CHAT["Message"], ChatCompletionMessage),
    (OPENAI_CHAT["ToolCall"], ChatCompletionMessageFunctionToolCall),
    (OPENAI_CHAT["Usage"], CompletionUsage),
    (OPENAI_CHAT["ChatCompletionChunk"], ChatCompletionChunk),
    (OPENAI_CHAT["ChunkChoice"], chat_completion_chunk.Choice),
    (ANTHROPIC_MESSAGE["MessageBase"], anthropic_types.Message),
    (ANTHROPIC_MESSAGE["Usage"], anthropic_types.Usage),
    (ANTHROPIC_MESSAGE["TextBlock"], anthropic_types.TextBlock),
    (ANTHROPIC_MESSAGE["ThinkingBlock"], anthropic_types.ThinkingBlock),
    (ANTHROPIC_MESSAGE["ToolUseBlock"], anthropic_types.ToolUseBlock),
    (ANTHROPIC_MESSAGE["ServerToolUseBlock"], anthropic_types.ServerToolUseBlock),
]


@pytest.mark.parametrize(
    ("shape", "model"),
    SHAPES,
    ids=[f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}" for _, m in SHAPES],
)
def test_where_a_schema_requires_more_than_the_sdk_a_comment_says_why(
    shape: dict[str, Any], model: type[pydantic.BaseModel]
) -> None:
    sdk = {name for name, field in model.model_fields.items() if field.is_required()}
    stricter = set(shape.get("required", ())) - sdk
    unexplained = {
        name
        for name in stricter
        if "$comment" not in shape["properties"].get(name, {})
        and name not in shape.get("$comment", "")
    }
    assert unexplained == set()
