"""Reassembly: a stream folded into one message the way the official SDKs fold it.

The folded message is then checked as the provider's non-streamed answer (the schema
and the rules of the endpoint the stream contract names in `folds_into`): one check
that catches a whole class of stream drift, from a lost `finish_reason` to tool
arguments that do not add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .chunk_pass import ChunkPass
from .event_pass import EventPass
from .registry import Chunk, rule
from .stream_run import replay

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
    machine=EventPass,
)
def events_fold_into_message(chunks: Sequence[Chunk]) -> dict[str, Any] | None:
    folded: dict[str, Any] | None = replay(EventPass, "events_fold_into_message", chunks).folded()
    return folded
