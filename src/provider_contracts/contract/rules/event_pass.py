"""The Anthropic stream rules and their fold, run as the typed events are read.

One machine (`EventPass`, `registry.Machine`) serves `message_start_once`,
`content_blocks_balanced`, `delta_fits_block`, `message_delta_has_stop_reason`,
`tool_input_parses` and `events_fold_into_message`. It keeps what they need instead of
the events: each block's state and type, where each known delta type came per block
(judged once every block's type is final, as the rules read it), the tool-input pieces,
and the message folded so far. Error events are fed too: these rules read them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from ..violations import Violation
from .accumulate import finished, join
from .finish import TOOL_USE_BLOCKS
from .registry import broken

_BLOCK_EVENTS = frozenset({"content_block_start", "content_block_delta", "content_block_stop"})

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
_STOP_KEYS = ("stop_reason", "stop_sequence", "stop_details", "container")
_RULES = (
    "message_start_once",
    "content_blocks_balanced",
    "delta_fits_block",
    "message_delta_has_stop_reason",
    "tool_input_parses",
)


class EventPass:
    """The event rules named in `names`, fed every event in order."""

    def __init__(self, names: frozenset[str]) -> None:
        self.fold = "events_fold_into_message" in names
        self.found: dict[str, list[Violation]] = {name: [] for name in _RULES}
        self.first_start: int | None = None
        self.start: Any = None  # the first message_start's data
        self.state: dict[Any, str] = {}  # block index: open or stopped
        self.types: dict[int, Any] = {}  # block index: the type its last start gave
        # block index: {known delta type: the events that brought one}
        self.deltas: dict[int, dict[str, list[int]]] = {}
        # block index: (the input_json_delta pieces, the event of the last one)
        self.pieces: dict[int, tuple[list[str], int]] = {}
        self.content: list[dict[str, Any]] = []  # the fold's blocks, in order of start
        self.blocks: dict[int, dict[str, Any]] = {}
        self.stops: dict[str, Any] = {}  # what message_delta events set, the last kept
        self.usage: dict[str, Any] = {}

    def feed(self, index: int, name: str | None, value: Any) -> None:
        if name in _BLOCK_EVENTS:
            if type(value) is dict:
                at = value.get("index")
                if type(at) is int:
                    self._block(index, name, value, at)
                elif self.fold:  # an index the schema reports, folded as the SDK would
                    if name == "content_block_start":
                        self._fold_start(value, at)
                    elif name == "content_block_delta":
                        with contextlib.suppress(TypeError):  # an unhashable index
                            if at in self.blocks:
                                _apply(self.blocks[at], value.get("delta"))
        elif name == "message_start":
            if self.first_start is None:
                self.first_start, self.start = index, value
            else:
                self.found["message_start_once"].append(
                    broken(
                        f"a second message_start (the first is event {self.first_start})",
                        (),
                        None,
                        index,
                    )
                )
        elif name == "message_delta" and type(value) is dict:
            delta = value.get("delta")
            if type(delta) is dict and delta.get("stop_reason") is None:
                self.found["message_delta_has_stop_reason"].append(
                    broken(
                        "a message_delta without a stop_reason",
                        ("delta", "stop_reason"),
                        None,
                        index,
                    )
                )
            if self.fold:
                self._fold_message_delta(value)

    error = feed  # the rules read error events as any other

    def _block(self, index: int, name: str, value: dict[str, Any], at: int) -> None:
        delta = value.get("delta")  # read on any block event, as the rules read it
        if type(delta) is dict and delta.get("type") == "input_json_delta":
            piece = delta.get("partial_json")
            if type(piece) is str:
                known = self.pieces.get(at)
                parts = known[0] if known is not None else []
                parts.append(piece)
                self.pieces[at] = (parts, index)
        state, found = self.state, self.found["content_blocks_balanced"]
        current = state.get(at)
        if name == "content_block_start":
            if current is not None:
                found.append(broken(f"content block {at} started twice", ("index",), at, index))
            elif at != len(state):
                found.append(
                    broken(
                        f"content block {at} started where block {len(state)} was next",
                        ("index",),
                        at,
                        index,
                    )
                )
            state[at] = "open"
            block = value.get("content_block")
            if type(block) is dict:
                self.types[at] = block.get("type")
            if self.fold:
                self._fold_start(value, at)
            return
        if current != "open":
            what = "never started" if current is None else "already stopped"
            found.append(broken(f"{name} for content block {at}, {what}", (), None, index))
        elif name == "content_block_stop":
            state[at] = "stopped"
        if name != "content_block_delta":
            return
        kind = delta.get("type") if type(delta) is dict else None
        if type(kind) is str and kind in DELTA_BLOCKS:
            by_kind = self.deltas.get(at)
            if by_kind is None:
                by_kind = self.deltas[at] = {}
            seen = by_kind.get(kind)
            if seen is None:
                by_kind[kind] = [index]
            else:
                seen.append(index)
        if self.fold and at in self.blocks:
            _apply(self.blocks[at], delta)

    def _fold_start(self, value: dict[str, Any], at: Any) -> None:
        if type(value.get("content_block")) is dict:
            block = dict(value["content_block"])
            self.content.append(block)
            if isinstance(at, int):
                self.blocks[at] = block

    def _fold_message_delta(self, value: dict[str, Any]) -> None:
        delta = value["delta"] if isinstance(value.get("delta"), dict) else {}
        for key in _STOP_KEYS:
            if key in delta and (key != "container" or delta[key] is not None):
                self.stops[key] = delta[key]
        usage = value.get("usage")
        for key, count in usage.items() if isinstance(usage, dict) else ():
            if count is not None or key == "output_tokens":
                self.usage[key] = count

    def tool_inputs(self) -> dict[int, tuple[str, int]]:
        """The JSON text each tool-use block's `input_json_delta`s add up to, by block
        index, with the event that added the last piece."""
        types = self.types
        return {
            at: ("".join(parts), last)
            for at, (parts, last) in self.pieces.items()
            if types.get(at) in TOOL_USE_BLOCKS
        }

    def end(self, errored: bool) -> Mapping[str, Iterable[Violation]]:
        found = self.found
        if not errored:
            for at, current in self.state.items():
                if current == "open":
                    found["content_blocks_balanced"].append(
                        broken(f"content block {at} is never stopped")
                    )
        misfits: list[tuple[int, Violation]] = []
        for at, by_kind in self.deltas.items():
            block = self.types.get(at)
            if block not in _KNOWN_BLOCKS:
                continue
            for kind, events in by_kind.items():
                if block not in DELTA_BLOCKS[kind]:
                    message = f"a {kind} in content block {at}, a {block} block"
                    misfits += [(e, broken(message, ("delta", "type"), kind, e)) for e in events]
        found["delta_fits_block"] = [v for _, v in sorted(misfits, key=lambda m: m[0])]
        for at, (text, last) in self.tool_inputs().items():
            if not text:
                continue
            try:
                orjson.loads(text)
            except orjson.JSONDecodeError:
                found["tool_input_parses"].append(
                    broken(
                        f"the input of tool-use block {at}, joined, is not valid JSON",
                        ("delta", "partial_json"),
                        text,
                        last,
                    )
                )
        return found

    def folded(self) -> dict[str, Any] | None:
        start = self.start
        message = start.get("message") if isinstance(start, dict) else None
        if not isinstance(message, dict):
            return None
        folded = dict(message)
        folded["content"] = self.content
        usage = folded["usage"] = dict(folded.get("usage") or {})
        folded.update(self.stops)
        usage.update(self.usage)
        for at, (text, _) in self.tool_inputs().items():
            if at in self.blocks and text:
                # Text that is not JSON leaves the start's input: tool_input_parses reports it.
                with contextlib.suppress(orjson.JSONDecodeError):
                    self.blocks[at]["input"] = orjson.loads(text)
        folded["content"] = finished(self.content)
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
