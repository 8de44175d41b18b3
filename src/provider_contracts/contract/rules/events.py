"""The grammar of an Anthropic message stream: typed events around content blocks.

A stream is `message_start`, then per content block `content_block_start`, its
`content_block_delta`s and `content_block_stop`, then `message_delta` (the stop reason
and final usage) and `message_stop`; `ping` may come anywhere. The SDK folds it by
block index (`lib/streaming/_messages.py`, `accumulate_event`). The rules run as one
machine (`event_pass.EventPass`) fed the events as they are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..violations import Violation
from .event_pass import DELTA_BLOCKS, EventPass
from .registry import Chunk, rule
from .stream_run import replay

__all__ = ["DELTA_BLOCKS"]

_SDK = "anthropic-sdk-python lib/streaming/_messages.py accumulate_event"


@rule(
    "content_blocks_balanced",
    scope="stream",
    what="Content blocks are started in index order (0, 1, 2, ...), each once; deltas and "
    "the stop come only for a started block, each block is stopped once, and every "
    "started block is stopped (unless the stream ended on an error).",
    why="A consumer assembles blocks by index: a delta for a block never started, a gap "
    "in the indexes or a block left open breaks it or loses content.",
    machine=EventPass,
    source=f"{_SDK} (content_block_start appends; deltas and stops index into it)",
)
def content_blocks_balanced(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(EventPass, "content_blocks_balanced", chunks).end(_errored(chunks))[
        "content_blocks_balanced"
    ]


@rule(
    "message_start_once",
    scope="stream",
    what="A stream carries exactly one `message_start` (the contract's `first:` puts it first).",
    why="Each message_start begins a new message in the SDK's fold: a second one "
    "discards what came before, and the gateway bills and shows half an answer.",
    machine=EventPass,
    source=f"{_SDK} (a snapshot starts at message_start); Anthropic streaming docs: "
    "'a message_start event' then content blocks",
)
def message_start_once(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(EventPass, "message_start_once", chunks).end(_errored(chunks))[
        "message_start_once"
    ]


@rule(
    "delta_fits_block",
    scope="stream",
    what="Each delta's type fits its block: `text_delta` and `citations_delta` in text "
    "blocks, `input_json_delta` in tool-use blocks (`tool_use`, `server_tool_use`, "
    "`mcp_tool_use`), `thinking_delta` and `signature_delta` in thinking blocks, "
    "`compaction_delta` in compaction blocks.",
    why="The SDK silently drops a delta that does not fit its block: the gateway forwards "
    "an answer with text or tool input missing.",
    machine=EventPass,
    source=f"{_SDK} (each delta type applied only to its block type); "
    "types/raw_content_block_delta.py",
)
def delta_fits_block(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(EventPass, "delta_fits_block", chunks).end(_errored(chunks))["delta_fits_block"]


@rule(
    "message_delta_has_stop_reason",
    scope="stream",
    what="Every `message_delta` event carries a non-null `delta.stop_reason`.",
    why="The stop reason tells the gateway whether to run tools, continue a cut answer or "
    "finish; a stream that never gives one leaves the folded message with stop_reason "
    "null.",
    machine=EventPass,
    source="anthropic-sdk-python types/message.py stop_reason: 'null in the message_start "
    "event and non-null otherwise'",
)
def message_delta_has_stop_reason(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(EventPass, "message_delta_has_stop_reason", chunks).end(_errored(chunks))[
        "message_delta_has_stop_reason"
    ]


@rule(
    "tool_input_parses",
    scope="stream",
    what="The `input_json_delta` pieces of each tool-use block, joined, are valid JSON "
    "(no pieces at all leaves the start's input).",
    why="The SDK parses the joined input and raises when it is not JSON; a gateway "
    "cannot run a tool whose input it cannot read.",
    machine=EventPass,
    source=f"{_SDK} (from_json of the joined partial_json; 'Unable to parse tool parameter JSON')",
)
def tool_input_parses(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(EventPass, "tool_input_parses", chunks).end(_errored(chunks))["tool_input_parses"]


def _errored(chunks: Sequence[Chunk]) -> bool:
    return any(chunk.is_error for chunk in chunks)
