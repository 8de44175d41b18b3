"""The grammar of an OpenAI-compatible stream: `data:` chunks of `chat.completion.chunk`.

Each choice streams deltas until a chunk gives its `finish_reason`; with
`stream_options.include_usage`, token usage comes once, at the end. Error chunks (the
endpoint's error branch) are not part of the answer and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..violations import Violation
from .chunk_pass import ChunkPass
from .registry import Chunk, rule
from .stream_run import replay

_STREAM_DOC = "OpenAI openapi.yaml CreateChatCompletionStreamResponse"


@rule(
    "usage_chunk_last",
    scope="stream",
    what="No chunk adds content or a tool call after the chunk that carries `usage`. "
    "A `choices: []` chunk without usage is allowed (OpenAI sends one for prompt filter "
    "results and for moderation).",
    why="A gateway reads the usage chunk as the end of the answer and settles the bill; "
    "content after it is lost or unbilled.",
    machine=ChunkPass,
    source=f"{_STREAM_DOC}.usage: sent 'on the last chunk before the data: [DONE] message' "
    "when stream_options.include_usage is set",
)
def usage_chunk_last(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(ChunkPass, "usage_chunk_last", chunks).end(False)["usage_chunk_last"]


@rule(
    "one_usage_chunk",
    scope="stream",
    what="At most one chunk carries a `usage` object (the others have none or null).",
    why="A gateway that adds up usage chunks bills twice; one that keeps the last may keep "
    "the wrong one.",
    machine=ChunkPass,
    source=f"{_STREAM_DOC}.usage: 'an additional chunk will be streamed'; on the other "
    "chunks usage is null",
)
def one_usage_chunk(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(ChunkPass, "one_usage_chunk", chunks).end(False)["one_usage_chunk"]


@rule(
    "nothing_after_finish",
    scope="stream",
    what="Per choice, no delta adds content, a refusal or a tool call after the chunk that "
    "gave that choice's `finish_reason` (a repeated finish chunk with an empty delta, "
    "as OpenRouter sends with usage, is fine).",
    why="A gateway closes a choice at its finish reason and forwards what it has; "
    "content after it is dropped, or billed but never shown.",
    machine=ChunkPass,
    source=f"{_STREAM_DOC}.choices[].finish_reason: 'the reason the model stopped "
    "generating tokens'",
)
def nothing_after_finish(chunks: Sequence[Chunk]) -> Iterable[Violation]:
    return replay(ChunkPass, "nothing_after_finish", chunks).end(False)["nothing_after_finish"]
