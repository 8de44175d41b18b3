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

from .accumulate import finished, join
from .chunk_pass import ChunkPass
from .events import tool_inputs
from .registry import Chunk, replay, rule

_OPENAI_SDK = "openai-python lib/streaming/chat/_completions.py ChatCompletionStreamState"
_ANTHROPIC_SDK = "anthropic-sdk-python lib/streaming/_messages.py accumulate_event"


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
    machine=ChunkPass,
)
def chunks_fold_into_completion(chunks: Sequence[Chunk]) -> dict[str, Any] | None:
    folded: dict[str, Any] | None = replay(
        ChunkPass, "chunks_fold_into_completion", chunks
    ).folded()
    return folded


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
        block["text"] = join(block.get("text", ""), str(delta.get("text", "")))
    elif kind == "citations_delta" and type_ == "text":
        block["citations"] = [*(block.get("citations") or []), delta.get("citation")]
    elif kind == "thinking_delta" and type_ == "thinking":
        block["thinking"] = join(block.get("thinking", ""), str(delta.get("thinking", "")))
    elif kind == "signature_delta" and type_ == "thinking":
        block["signature"] = delta.get("signature")
    elif kind == "compaction_delta" and type_ == "compaction":
        block["content"] = delta.get("content")
        block["encrypted_content"] = delta.get("encrypted_content")
    # input_json_delta: joined and parsed once, after every event (tool_inputs).
