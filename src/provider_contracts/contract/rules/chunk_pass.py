"""The OpenAI-compatible stream rules and their fold, run as the chunks are read.

One machine (`ChunkPass`, `registry.Machine`) serves `usage_chunk_last`,
`one_usage_chunk`, `nothing_after_finish` and `chunks_fold_into_completion`: it keeps
what they need (where the usage chunk came, which choice finished where, the message
folded so far) instead of the chunks. A chunk that only adds text to a choice already
started, before any finish or usage, takes a short path with the same outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..violations import Violation
from .accumulate import Text, accumulate, finished
from .registry import broken

_SKIPPED = ("choices", "usage", "obfuscation")  # top-level keys the fold does not copy


def adds_content(choice: Any) -> bool:
    """Whether a chunk's choice adds content, a refusal or a tool call."""
    delta = choice.get("delta") if type(choice) is dict else None
    return type(delta) is dict and bool(
        delta.get("content") or delta.get("tool_calls") or delta.get("refusal")
    )


class ChunkPass:
    """The chunk rules named in `names`, fed the chunks that are not errors, in order."""

    def __init__(self, names: frozenset[str]) -> None:
        self.usage_last = "usage_chunk_last" in names
        self.one_usage = "one_usage_chunk" in names
        self.after_finish = "nothing_after_finish" in names
        self.fold = "chunks_fold_into_completion" in names
        self.found: dict[str, list[Violation]] = {
            "usage_chunk_last": [],
            "one_usage_chunk": [],
            "nothing_after_finish": [],
        }
        self.usage_at: int | None = None  # the first chunk with a usage object
        self.finished: dict[int, int] = {}  # choice index: the chunk that finished it
        self.message: dict[str, Any] | None = None  # the fold, but its choices
        self.choices: dict[int, dict[str, Any]] = {}
        # The choice whose content is a `Text` the last chunk added to, and its pieces;
        # `fast_at` is that choice while a chunk adding text to it needs nothing else.
        self.text_at: int | None = None
        self.text: list[str] = []
        self.fast_at: int | None = None

    def feed(self, index: int, name: str | None, value: Any) -> None:
        at = self.fast_at
        if at is not None:
            # The common chunk: more text for choice `at`, and nothing else. A value of
            # another shape raises on the way (no exception is raised for the common one,
            # and a `try` costs nothing then) and takes the long way.
            try:
                (choice,) = value["choices"]
                delta = choice["delta"]
                if (
                    len(delta) == 1
                    and value.get("usage") is None
                    and value.get("system_fingerprint") is None
                    and not choice.get("finish_reason")
                    and choice.get("logprobs") is None
                ):
                    content = delta.get("content")
                    position = choice.get("index")
                    if type(content) is str and position == at and type(position) is int:
                        self.text.append(content)
                        return
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        if type(value) is dict:
            self._chunk(index, value, value.get("choices"))
            # Only the fold acts on a chunk until a usage chunk comes or a choice finishes.
            quiet = self.fold and self.usage_at is None and not self.finished
            self.fast_at = self.text_at if quiet else None

    def error(self, index: int, name: str | None, value: Any) -> None:
        """The chunk rules skip error chunks (the endpoint's error branch)."""

    def _chunk(self, index: int, value: dict[str, Any], choices: Any) -> None:
        usage = value.get("usage")
        listed = choices if type(choices) is list else []
        if self.usage_at is None:
            if type(usage) is dict:
                self.usage_at = index
        elif self.usage_last:
            for position, choice in enumerate(listed):
                if adds_content(choice):
                    self.found["usage_chunk_last"].append(
                        broken(
                            f"content after the usage chunk (event {self.usage_at})",
                            ("choices", position, "delta"),
                            choice.get("delta"),
                            index,
                        )
                    )
        if self.one_usage and type(usage) is dict and self.usage_at != index:
            self.found["one_usage_chunk"].append(
                broken(
                    f"a second usage chunk (the first is event {self.usage_at})",
                    ("usage",),
                    usage,
                    index,
                )
            )
        self._finish(index, listed)
        if self.fold:
            self._fold(value, choices, usage)

    def _finish(self, index: int, choices: list[Any]) -> None:
        finished = self.finished
        for position, choice in enumerate(choices):
            if type(choice) is not dict:
                continue
            at = choice.get("index")
            at = at if type(at) is int else position
            if self.after_finish and finished and at in finished and adds_content(choice):
                self.found["nothing_after_finish"].append(
                    broken(
                        f"choice {at} adds content after its finish_reason (event {finished[at]})",
                        ("choices", position, "delta"),
                        choice.get("delta"),
                        index,
                    )
                )
            if at not in finished and choice.get("finish_reason"):
                finished[at] = index

    def _fold(self, value: dict[str, Any], choices: Any, usage: Any) -> None:
        message = self.message
        if message is None:
            message = self.message = {k: v for k, v in value.items() if k not in _SKIPPED}
            message["object"] = "chat.completion"
        if usage is not None and type(usage) is dict:
            message["usage"] = usage
        if value.get("system_fingerprint") is not None:
            message["system_fingerprint"] = value["system_fingerprint"]
        for choice in choices or ():
            if type(choice) is dict and type(choice.get("index")) is int:
                self._fold_choice(choice)

    def _fold_choice(self, choice: dict[str, Any]) -> None:
        index = choice["index"]
        known = self.choices.get(index)
        if known is None:
            known = self.choices[index] = {"index": index, "message": {}, "finish_reason": None}
        delta = choice.get("delta")
        if type(delta) is dict and delta:
            accumulate(known["message"], delta)
        content = known["message"].get("content")
        if type(content) is Text:
            self.text_at, self.text = index, content.parts
        elif index == self.text_at:
            self.text_at = None
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

    def end(self, errored: bool) -> Mapping[str, Iterable[Violation]]:
        return self.found

    def folded(self) -> dict[str, Any] | None:
        if self.message is None:
            return None
        folded = dict(self.message)
        folded["choices"] = [finished(self.choices[i]) for i in sorted(self.choices)]
        for choice in folded["choices"]:
            # The SDK's ChatCompletionMessage gives content and refusal None when no delta
            # set them.
            choice["message"].setdefault("content", None)
        return folded
