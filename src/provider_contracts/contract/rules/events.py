"""The grammar of an Anthropic message stream: typed events around content blocks.

A stream is `message_start`, then per content block `content_block_start`, its
`content_block_delta`s and `content_block_stop`, then `message_delta` (the stop reason
and final usage) and `message_stop`; `ping` may come anywhere. The SDK folds it by
block index (`lib/streaming/_messages.py`, `accumulate_event`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from ..violations import Violation
from .finish import TOOL_USE_BLOCKS
from .registry import Chunk, broken, rule

_SDK = "anthropic-sdk-python lib/streaming/_messages.py accumulate_event"
_BLOCK_EVENTS = ("content_block_start", "content_block_delta", "content_block_stop")

# The block types each known delta type belongs in, as the SDK applies them; a delta
# or block type not listed here is an open set (contracts/README.md) and not judged.
DELTA_BLOCKS: dict[str, frozenset[str]] = {
    "text_delta": frozenset({"text"}),
    "citations_delta": frozenset({"text"}),
    "input_json_delta": TOOL_USE_BLOCKS,
    "thinking_delta": frozenset({"thinking"}),
    "signature_delta": frozenset({"thinking"}),
    "compaction_delta": frozenset({"compaction"}),
}
_KNOWN_BLOCKS = frozenset().union(*DELTA_BLOCKS.values()) | {"redacted_thinking"}


def _block_events(chunks: Sequence[Chunk]) -> Iterator[tuple[Chunk, int]]:
    """(event, its block index) of each content block event (an index that is not an
    integer is the schema's to report)."""
    for chunk in chunks:
        if chunk.name in _BLOCK_EVENTS and isinstance(chunk.value, dict):
            index = chunk.value.get("index")
            if isinstance(index, int) and not isinstance(index, bool):
                yield chunk, index


def block_types(chunks: Sequence[Chunk]) -> dict[int, Any]:
    """The type of each content block, by index, as its start event gave it."""
    types: dict[int, Any] = {}
    for chunk, index in _block_events(chunks):
        block = chunk.value.get("content_block")
        if chunk.name == "content_block_start" and isinstance(block, dict):
            types[index] = block.get("type")
    return types


@rule(
    "content_blocks_balanced",
    scope="stream",
    what="Content blocks are started in index order (0, 1, 2, ...), each once; deltas and "
    "the stop come only for a started block, each block is stopped once, and every "
    "started block is stopped (unless the stream ended on an error).",
    why="A consumer assembles blocks by index: a delta for a block never started, a gap "
    "in the indexes or a block left open breaks it or loses content.",
    source=f"{_SDK} (content_block_start appends; deltas and stops index into it)",
)
def content_blocks_balanced(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    state: dict[Any, str] = {}
    for chunk, index in _block_events(chunks):
        current = state.get(index)
        if chunk.name == "content_block_start":
            if current is not None:
                yield broken(f"content block {index} started twice", ("index",), index, chunk.index)
            elif index != len(state):
                yield broken(
                    f"content block {index} started where block {len(state)} was next",
                    ("index",),
                    index,
                    chunk.index,
                )
            state[index] = "open"
        elif current != "open":
            what = "never started" if current is None else "already stopped"
            yield broken(f"{chunk.name} for content block {index}, {what}", (), None, chunk.index)
        elif chunk.name == "content_block_stop":
            state[index] = "stopped"
    if not any(c.is_error for c in chunks):
        for index, current in state.items():
            if current == "open":
                yield broken(f"content block {index} is never stopped")


@rule(
    "message_start_once",
    scope="stream",
    what="A stream carries exactly one `message_start` (the contract's `first:` puts it first).",
    why="Each message_start begins a new message in the SDK's fold: a second one "
    "discards what came before, and the gateway bills and shows half an answer.",
    source=f"{_SDK} (a snapshot starts at message_start); Anthropic streaming docs: "
    "'a message_start event' then content blocks",
)
def message_start_once(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    first: int | None = None
    for chunk in chunks:
        if chunk.name == "message_start":
            if first is not None:
                yield broken(
                    f"a second message_start (the first is event {first})", (), None, chunk.index
                )
            first = chunk.index if first is None else first


@rule(
    "delta_fits_block",
    scope="stream",
    what="Each delta's type fits its block: `text_delta` and `citations_delta` in text "
    "blocks, `input_json_delta` in tool-use blocks (`tool_use`, `server_tool_use`, "
    "`mcp_tool_use`), `thinking_delta` and `signature_delta` in thinking blocks, "
    "`compaction_delta` in compaction blocks.",
    why="The SDK silently drops a delta that does not fit its block: the gateway forwards "
    "an answer with text or tool input missing.",
    source=f"{_SDK} (each delta type applied only to its block type); "
    "types/raw_content_block_delta.py",
)
def delta_fits_block(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    types = block_types(chunks)
    for chunk, index in _block_events(chunks):
        delta = chunk.value.get("delta") if chunk.name == "content_block_delta" else None
        kind = delta.get("type") if isinstance(delta, dict) else None
        block = types.get(index)
        fits = DELTA_BLOCKS.get(kind)  # type: ignore[arg-type]
        if fits is not None and block in _KNOWN_BLOCKS and block not in fits:
            yield broken(
                f"a {kind} in content block {index}, a {block} block",
                ("delta", "type"),
                kind,
                chunk.index,
            )


@rule(
    "message_delta_has_stop_reason",
    scope="stream",
    what="Every `message_delta` event carries a non-null `delta.stop_reason`.",
    why="The stop reason tells the gateway whether to run tools, continue a cut answer or "
    "finish; a stream that never gives one leaves the folded message with stop_reason "
    "null.",
    source="anthropic-sdk-python types/message.py stop_reason: 'null in the message_start "
    "event and non-null otherwise'",
)
def message_delta_has_stop_reason(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    for chunk in chunks:
        if chunk.name == "message_delta" and isinstance(chunk.value, dict):
            delta = chunk.value.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason") is None:
                yield broken(
                    "a message_delta without a stop_reason",
                    ("delta", "stop_reason"),
                    None,
                    chunk.index,
                )


def tool_inputs(chunks: Sequence[Chunk]) -> dict[int, tuple[str, int]]:
    """The JSON text each tool-use block's `input_json_delta`s add up to, by block index,
    with the index of the event that added the last piece."""
    types = block_types(chunks)
    pieces: dict[int, tuple[list[str], int]] = {}
    for chunk, index in _block_events(chunks):
        delta = chunk.value.get("delta")
        if (
            types.get(index) in TOOL_USE_BLOCKS
            and isinstance(delta, dict)
            and delta.get("type") == "input_json_delta"
            and isinstance(delta.get("partial_json"), str)
        ):
            parts = pieces[index][0] if index in pieces else []
            parts.append(delta["partial_json"])
            pieces[index] = (parts, chunk.index)
    return {index: ("".join(parts), last) for index, (parts, last) in pieces.items()}


@rule(
    "tool_input_parses",
    scope="stream",
    what="The `input_json_delta` pieces of each tool-use block, joined, are valid JSON "
    "(no pieces at all leaves the start's input).",
    why="The SDK parses the joined input and raises when it is not JSON; a gateway "
    "cannot run a tool whose input it cannot read.",
    source=f"{_SDK} (from_json of the joined partial_json; 'Unable to parse tool parameter JSON')",
)
def tool_input_parses(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    for index, (text, last) in tool_inputs(chunks).items():
        if not text:
            continue
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            yield broken(
                f"the input of tool-use block {index}, joined, is not valid JSON",
                ("delta", "partial_json"),
                text,
                last,
            )
