"""Reassembly: a stream folded into one message the way the official SDKs fold it.

The folded message is then checked as the provider's non-streamed answer (the schema
and the rules of the endpoint the stream contract names in `folds_into`): one check
that catches a whole class of stream drift, from a lost `finish_reason` to tool
arguments that do not add up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import orjson

from .events import tool_inputs
from .registry import Chunk, rule

_OPENAI_SDK = "openai-python lib/streaming/chat/_completions.py ChatCompletionStreamState"
_ANTHROPIC_SDK = "anthropic-sdk-python lib/streaming/_messages.py accumulate_event"
# Keys a delta repeats rather than extends: `index` and `type` per the SDK; `role` too,
# which the SDK concatenates ("assistantassistant...") when a provider repeats it on
# every chunk, as OpenRouter does.
_REPLACED = frozenset({"index", "type", "role"})


def _indexed(items: list[Any]) -> bool:
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("index"), int) for i in items
    )


class _Text:
    """The pieces of a string, joined once at the end: a long stream's text is not copied
    again for every chunk."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str) -> None:
        self.parts = list(parts)


def accumulate(acc: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """openai-python's `accumulate_delta`: strings join, numbers add, objects merge, lists
    of `index`ed objects merge by index and other lists extend. `acc` is changed in place
    and never shares a container with `delta` (the parsed chunks stay as they came)."""
    for key, value in delta.items():
        current = acc.get(key)
        if type(current) is _Text and type(value) is str:  # the common case: more text
            current.parts.append(value)
        else:
            acc[key] = _own(value) if current is None or key in _REPLACED else _join(current, value)
    return acc


def _own(value: Any) -> Any:
    if isinstance(value, dict):
        return accumulate({}, value)
    if isinstance(value, list):
        return _join([], value)
    return value


def _join(current: Any, value: Any) -> Any:
    if isinstance(value, str):
        if isinstance(current, _Text):
            current.parts.append(value)
            return current
        return _Text(current, value) if isinstance(current, str) else value
    if isinstance(current, dict) and isinstance(value, dict):
        return accumulate(current, value)
    if isinstance(current, list) and isinstance(value, list):
        if not _indexed(value):
            current.extend(_own(item) for item in value)
            return current
        for entry in value:
            position = entry["index"]
            if position < len(current) and isinstance(current[position], dict):
                accumulate(current[position], entry)
            else:
                current.insert(position, _own(entry))
        return current
    numbers = (int, float)
    if (
        isinstance(current, numbers)
        and isinstance(value, numbers)
        and not isinstance(current, bool)
        and not isinstance(value, bool)
    ):
        return current + value
    return _own(value)


def finished(value: Any) -> Any:
    """A folded value with every string's pieces joined."""
    if isinstance(value, _Text):
        return "".join(value.parts)
    if isinstance(value, dict):
        return {key: finished(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finished(item) for item in value]
    return value


@rule(
    "chunks_fold_into_completion",
    scope="fold",
    what="The chunks, folded as openai-python folds them (deltas accumulated per choice, "
    "the last finish_reason, logprobs joined, the usage chunk's usage), make a valid "
    "non-streamed `chat.completion` of the endpoint named by `folds_into`, its rules "
    "included (a stream not asked for usage may fold without it).",
    why="A gateway that streams to its client still logs, bills and caches the whole "
    "answer; what it assembles must be an answer it could have received in one piece.",
    source=f"{_OPENAI_SDK} (_accumulate_chunk, accumulate_delta)",
    on_request=("usage",),
)
def chunks_fold_into_completion(chunks: Sequence[Chunk]) -> dict[str, Any] | None:
    folded: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        value = chunk.value
        if chunk.is_error or type(value) is not dict:
            continue
        if folded is None:
            skipped = ("choices", "usage", "obfuscation")
            folded = {k: v for k, v in value.items() if k not in skipped}
            folded["object"] = "chat.completion"
        if value.get("usage") is not None and type(value["usage"]) is dict:
            folded["usage"] = value["usage"]
        if value.get("system_fingerprint") is not None:
            folded["system_fingerprint"] = value["system_fingerprint"]
        for choice in value.get("choices") or ():
            if type(choice) is not dict:
                continue
            index = choice.get("index")
            known = choices.get(index) if type(index) is int else None
            delta = choice.get("delta")
            if (  # the common chunk: more text for a choice already started
                known is not None
                and type(delta) is dict
                and len(delta) == 1
                and type(delta.get("content")) is str
                and type(known["message"].get("content")) is _Text
                and not choice.get("finish_reason")
                and choice.get("logprobs") is None
            ):
                known["message"]["content"].parts.append(delta["content"])
            elif type(index) is int:
                _fold_choice(choices, choice)
    if folded is None:
        return None
    folded["choices"] = [finished(choices[i]) for i in sorted(choices)]
    for choice in folded["choices"]:
        # The SDK's ChatCompletionMessage gives content and refusal None when no delta set them.
        choice["message"].setdefault("content", None)
    return folded


def _fold_choice(choices: dict[int, dict[str, Any]], choice: dict[str, Any]) -> None:
    index = choice["index"]
    known = choices.get(index)
    if known is None:
        known = choices[index] = {"index": index, "message": {}, "finish_reason": None}
    delta = choice.get("delta")
    if type(delta) is dict and delta:
        accumulate(known["message"], delta)
    if choice.get("finish_reason"):
        known["finish_reason"] = choice["finish_reason"]
    logprobs = choice.get("logprobs")
    if type(logprobs) is dict:
        mine = known.setdefault("logprobs", {"content": None, "refusal": None})
        for part in ("content", "refusal"):
            if isinstance(logprobs.get(part), list):
                if mine[part] is None:
                    mine[part] = []
                mine[part].extend(logprobs[part])


@rule(
    "events_fold_into_message",
    scope="fold",
    what="The events, folded as anthropic-python folds them (message_start's message, "
    "blocks appended at content_block_start, deltas applied to their block, tool input "
    "parsed from the joined JSON, stop reason and usage from message_delta), make a "
    "valid Message of the endpoint named by `folds_into`, its rules included.",
    why="A gateway that streams to its client still logs, bills and routes the whole "
    "message (a tool_use stop needs its tool_use block); it must be a Message it could "
    "have received in one piece.",
    source=f"{_ANTHROPIC_SDK}",
)
def events_fold_into_message(chunks: Sequence[Chunk]) -> dict[str, Any] | None:
    start: Any = next((c.value for c in chunks if c.name == "message_start"), None)
    message = start.get("message") if isinstance(start, dict) else None
    if not isinstance(message, dict):
        return None
    folded = dict(message)
    folded["content"] = []
    usage = folded["usage"] = dict(folded.get("usage") or {})
    blocks: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        value: dict[str, Any] = chunk.value if isinstance(chunk.value, dict) else {}
        if chunk.name == "content_block_start" and isinstance(value.get("content_block"), dict):
            block = dict(value["content_block"])
            folded["content"].append(block)
            if isinstance(value.get("index"), int):
                blocks[value["index"]] = block
        elif chunk.name == "content_block_delta" and value.get("index") in blocks:
            _apply(blocks[value["index"]], value.get("delta"))
        elif chunk.name == "message_delta":
            delta: dict[str, Any] = value["delta"] if isinstance(value.get("delta"), dict) else {}
            for key in ("stop_reason", "stop_sequence", "stop_details", "container"):
                if key in delta and (key != "container" or delta[key] is not None):
                    folded[key] = delta[key]
            for key, count in (value.get("usage") or {}).items():
                if count is not None or key == "output_tokens":
                    usage[key] = count
    for index, (text, _) in tool_inputs(chunks).items():
        if index in blocks and text:
            # Text that is not JSON leaves the start's input: tool_input_parses reports it.
            with contextlib.suppress(orjson.JSONDecodeError):
                blocks[index]["input"] = orjson.loads(text)
    folded["content"] = finished(folded["content"])
    return folded


def _apply(block: dict[str, Any], delta: Any) -> None:
    if not isinstance(delta, dict):
        return
    kind, type_ = delta.get("type"), block.get("type")
    if kind == "text_delta" and type_ == "text":
        block["text"] = _join(block.get("text", ""), str(delta.get("text", "")))
    elif kind == "citations_delta" and type_ == "text":
        block["citations"] = [*(block.get("citations") or []), delta.get("citation")]
    elif kind == "thinking_delta" and type_ == "thinking":
        block["thinking"] = _join(block.get("thinking", ""), str(delta.get("thinking", "")))
    elif kind == "signature_delta" and type_ == "thinking":
        block["signature"] = delta.get("signature")
    elif kind == "compaction_delta" and type_ == "compaction":
        block["content"] = delta.get("content")
        block["encrypted_content"] = delta.get("encrypted_content")
    # input_json_delta: joined and parsed once, after every event (tool_inputs).
