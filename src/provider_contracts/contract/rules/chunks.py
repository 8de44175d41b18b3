"""The grammar of an OpenAI-compatible stream: `data:` chunks of `chat.completion.chunk`.

Each choice streams deltas until a chunk gives its `finish_reason`; with
`stream_options.include_usage`, token usage comes once, at the end. Error chunks (the
endpoint's error branch) are not part of the answer and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..violations import Violation
from .registry import Chunk, broken, rule

_STREAM_DOC = "OpenAI openapi.yaml CreateChatCompletionStreamResponse"


def _adds_content(choice: Any) -> bool:
    delta = choice.get("delta") if type(choice) is dict else None
    return type(delta) is dict and bool(
        delta.get("content") or delta.get("tool_calls") or delta.get("refusal")
    )


def _choices(value: dict[str, Any]) -> list[Any]:
    choices = value.get("choices")
    return choices if type(choices) is list else []


@rule(
    "usage_chunk_last",
    scope="stream",
    what="No chunk adds content or a tool call after the chunk that carries `usage`. "
    "A `choices: []` chunk without usage is allowed (OpenAI sends one for prompt filter "
    "results and for moderation).",
    why="A gateway reads the usage chunk as the end of the answer and settles the bill; "
    "content after it is lost or unbilled.",
    source=f"{_STREAM_DOC}.usage: sent 'on the last chunk before the data: [DONE] message' "
    "when stream_options.include_usage is set",
)
def usage_chunk_last(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    usage_at: int | None = None
    for chunk in chunks:
        value = chunk.value
        if chunk.is_error or type(value) is not dict:
            continue
        if usage_at is None:
            if type(value.get("usage")) is dict:
                usage_at = chunk.index
            continue
        for position, choice in enumerate(_choices(value)):
            if _adds_content(choice):
                yield broken(
                    f"content after the usage chunk (event {usage_at})",
                    ("choices", position, "delta"),
                    choice.get("delta"),
                    chunk.index,
                )


@rule(
    "one_usage_chunk",
    scope="stream",
    what="At most one chunk carries a `usage` object (the others have none or null).",
    why="A gateway that adds up usage chunks bills twice; one that keeps the last may keep "
    "the wrong one.",
    source=f"{_STREAM_DOC}.usage: 'an additional chunk will be streamed'; on the other "
    "chunks usage is null",
)
def one_usage_chunk(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    first: int | None = None
    for chunk in chunks:
        value = chunk.value
        if chunk.is_error or type(value) is not dict or type(value.get("usage")) is not dict:
            continue
        if first is None:
            first = chunk.index
        else:
            yield broken(
                f"a second usage chunk (the first is event {first})",
                ("usage",),
                value["usage"],
                chunk.index,
            )


@rule(
    "nothing_after_finish",
    scope="stream",
    what="Per choice, no delta adds content, a refusal or a tool call after the chunk that "
    "gave that choice's `finish_reason` (a repeated finish chunk with an empty delta, "
    "as OpenRouter sends with usage, is fine).",
    why="A gateway closes a choice at its finish reason and forwards what it has; "
    "content after it is dropped, or billed but never shown.",
    source=f"{_STREAM_DOC}.choices[].finish_reason: 'the reason the model stopped "
    "generating tokens'",
)
def nothing_after_finish(chunks: Sequence[Chunk]) -> Iterator[Violation]:
    finished: dict[int, int] = {}
    for chunk in chunks:
        value = chunk.value
        if chunk.is_error or type(value) is not dict:
            continue
        for position, choice in enumerate(_choices(value)):
            if type(choice) is not dict:
                continue
            index = choice.get("index")
            index = index if type(index) is int else position
            if finished and index in finished and _adds_content(choice):
                yield broken(
                    f"choice {index} adds content after its finish_reason (event "
                    f"{finished[index]})",
                    ("choices", position, "delta"),
                    choice.get("delta"),
                    chunk.index,
                )
            if index not in finished and choice.get("finish_reason"):
                finished[index] = chunk.index
