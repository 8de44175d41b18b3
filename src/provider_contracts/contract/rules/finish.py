"""Finish consistency: the reason an answer stopped agrees with what it holds.

A gateway routes on the finish or stop reason: "tool_calls" / "tool_use" sends the
answer to the tool runner, which then needs a tool call it can identify and arguments
it can parse.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..violations import Violation
from .registry import broken, rule

_OPENAI_FINISH = "OpenAI openapi.yaml CreateChatCompletionResponse.choices[].finish_reason"
# Anthropic content blocks that call a tool: the client's, and the server-run families.
TOOL_USE_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


def _choices(value: Any) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(index, choice, message) of each choice of an OpenAI-compatible completion."""
    choices = value.get("choices") if isinstance(value, dict) else None
    return [
        (index, choice, choice["message"])
        for index, choice in enumerate(choices if isinstance(choices, list) else ())
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict)
    ]


def _in_messages(message: dict[str, Any]) -> dict[str, Any]:
    """A schema of completions each of whose choices' message matches `message`."""
    return {"properties": {"choices": {"items": {"properties": {"message": message}}}}}


_NAMED = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"minLength": 1, "type": "string"}},
}
_IDENTIFIED_CALL = {
    "if": {"type": "object"},
    "then": {
        "required": ["id"],
        "properties": {"id": {"type": "string", "minLength": 1}},
        "if": {"required": ["type"], "properties": {"type": {"const": "custom"}}},
        "then": {"required": ["custom"], "properties": {"custom": _NAMED}},
        "else": {"required": ["function"], "properties": {"function": _NAMED}},
    },
}
_IDENTIFIED_BLOCK = {
    "if": {
        "required": ["type"],
        "properties": {"type": {"enum": ["mcp_tool_use", "server_tool_use", "tool_use"]}},
    },
    "then": {
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "name": {"type": "string", "minLength": 1},
        },
    },
}


def _calls(message: dict[str, Any]) -> list[Any]:
    calls = message.get("tool_calls")
    return calls if isinstance(calls, list) else []


@rule(
    "tool_calls_finish_has_calls",
    scope="body",
    holds_if={
        "properties": {
            "choices": {
                "items": {
                    "if": {
                        "required": ["finish_reason"],
                        "properties": {"finish_reason": {"const": "tool_calls"}},
                    },
                    "then": {
                        "properties": {
                            "message": {
                                "required": ["tool_calls"],
                                "properties": {"tool_calls": {"type": "array", "minItems": 1}},
                            }
                        }
                    },
                }
            }
        }
    },
    reads=("choices",),
    what='A choice with `finish_reason: "tool_calls"` carries at least one tool call.',
    why="A gateway hands such an answer to the tool runner, which finds nothing to run "
    "and the conversation stalls. (The converse does not hold: OpenAI answers a forced "
    'tool choice with `finish_reason: "stop"` and tool calls.)',
    source=f"{_OPENAI_FINISH}: 'tool_calls if the model called a tool'",
)
def tool_calls_finish_has_calls(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for index, choice, message in _choices(value):
        if choice.get("finish_reason") == "tool_calls" and not _calls(message):
            found.append(
                broken(
                    'finish_reason is "tool_calls" but the message has no tool call',
                    ("choices", index, "message"),
                    message.get("tool_calls"),
                )
            )
    return found


@rule(
    "tool_use_stop_has_block",
    scope="body",
    reads=("stop_reason",),
    what='An Anthropic Message with `stop_reason: "tool_use"` has at least one `tool_use` '
    "content block.",
    why="A gateway that sees tool_use waits for a tool call to execute; without a block "
    "there is none, and the turn never completes.",
    source="anthropic-sdk-python types/stop_reason.py and Message.stop_reason: "
    "'tool_use: the model invoked one or more tools'",
)
def tool_use_stop_has_block(value: Any) -> list[Violation]:
    found: list[Violation] = []
    if not isinstance(value, dict) or value.get("stop_reason") != "tool_use":
        return found
    content = value.get("content")
    blocks = content if isinstance(content, list) else []
    if not any(isinstance(b, dict) and b.get("type") == "tool_use" for b in blocks):
        kinds = [b.get("type") for b in blocks if isinstance(b, dict)]
        found.append(
            broken(
                'stop_reason is "tool_use" but no content block is a tool_use', ("content",), kinds
            )
        )
    return found


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value


@rule(
    "tool_calls_identified",
    scope="body",
    holds_if={
        "properties": {
            **_in_messages({"properties": {"tool_calls": {"items": _IDENTIFIED_CALL}}})[
                "properties"
            ],
            "content": {"items": _IDENTIFIED_BLOCK},
        }
    },
    reads=("choices", "content"),
    what="Every tool call has a non-empty `id` and a non-empty name (OpenAI-compatible "
    "`tool_calls[].function.name` or `.custom.name`; Anthropic tool-use blocks' `id` and "
    "`name`).",
    why="The gateway answers a tool call by its id and dispatches it by name; an empty "
    "one cannot be answered or routed.",
    source="OpenAI openapi.yaml ChatCompletionMessageToolCall (id, function.name required); "
    "anthropic-sdk-python types/tool_use_block.py (id, name)",
)
def tool_calls_identified(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for index, _, message in _choices(value):
        for number, call in enumerate(_calls(message)):
            if not isinstance(call, dict):
                continue
            at = ("choices", index, "message", "tool_calls", number)
            if _blank(call.get("id")):
                found.append(broken("a tool call without an id", (*at, "id"), call.get("id")))
            kind = "custom" if call.get("type") == "custom" else "function"
            named = call.get(kind)
            name = named.get("name") if isinstance(named, dict) else None
            if _blank(name):
                found.append(broken("a tool call without a name", (*at, kind, "name"), name))
    content = value.get("content") if isinstance(value, dict) else None
    for number, block in enumerate(content if isinstance(content, list) else ()):
        if isinstance(block, dict) and block.get("type") in TOOL_USE_BLOCKS:
            for field in ("id", "name"):
                if _blank(block.get(field)):
                    found.append(
                        broken(
                            f"a {block['type']} block without {'an' if field == 'id' else 'a'} {field}",
                            ("content", number, field),
                            block.get(field),
                        )
                    )
    return found


@rule(
    "tool_arguments_parse",
    scope="body",
    holds_if=_in_messages({"properties": {"tool_calls": {"maxItems": 0}}}),
    reads=("choices",),
    what="When a choice finished normally (`stop` or `tool_calls`), each function tool "
    "call's `arguments` is valid JSON (a call without `arguments` is left alone).",
    why="A gateway parses the arguments before running the tool; text that is not JSON "
    "fails there, after the customer was billed for it. A cut answer (`length`) may "
    "rightly end mid-argument.",
    source="OpenAI openapi.yaml ChatCompletionMessageToolCall.function.arguments: 'the "
    "arguments to call the function with, as generated by the model in JSON format'",
)
def tool_arguments_parse(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for index, choice, message in _choices(value):
        if choice.get("finish_reason") not in ("stop", "tool_calls"):
            continue
        for number, call in enumerate(_calls(message)):
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if not isinstance(arguments, str):
                continue
            try:
                orjson.loads(arguments)
            except orjson.JSONDecodeError:
                found.append(
                    broken(
                        "the tool call's arguments are not valid JSON",
                        (
                            "choices",
                            index,
                            "message",
                            "tool_calls",
                            number,
                            "function",
                            "arguments",
                        ),
                        arguments,
                    )
                )
    return found
