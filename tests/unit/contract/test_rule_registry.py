"""The rule registry, the rules named in endpoint contracts, and how their violations read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.rules import RULES, Chunk, rule, run_body, run_stream
from provider_contracts.contract.validation import validate_response
from provider_contracts.errors import ContractError

USAGE_CHUNK = {"id": "c1", "object": "chat.completion.chunk", "choices": [],
               "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}}  # fmt: skip


def chunk(content: str | None = "x", finish: str | None = None) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}  # fmt: skip


def stream(*events: dict[str, Any], done: bool = True) -> str:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    return text + ("data: [DONE]\n\n" if done else "")


def test_a_rule_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="'usage_chunk_last' is registered twice"):
        rule("usage_chunk_last", scope="stream", what="w", why="y", source="s")(lambda c: ())


def test_a_rule_violation_names_the_rule_the_place_and_what_came() -> None:
    body = {"usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 8}}
    (violation,) = run_body(["total_is_prompt_plus_completion"], body)
    assert violation.lines("openai/chat_completions #0") == [
        "openai/chat_completions #0 at /usage/total_tokens: total_tokens 8 is not "
        "prompt_tokens 3 + completion_tokens 4 (7)",
        "  rule: total_is_prompt_plus_completion",
        "  got: 8",
    ]


def test_body_rules_named_in_a_stream_run_on_each_event_but_error_events() -> None:
    negative = {"usage": {"prompt_tokens": -1}}
    chunks = [Chunk(0, None, negative, False), Chunk(1, None, negative, True)]
    found = list(run_stream(["token_counts_non_negative"], chunks))
    assert [(v.rule, v.event, v.instance_path) for v in found] == [
        ("token_counts_non_negative", 0, "/usage/prompt_tokens")
    ]


def test_a_fold_rule_runs_only_when_the_stream_can_be_folded() -> None:
    chunks = [Chunk(0, None, chunk("hi", "stop"), False)]
    seen: list[Any] = []
    list(run_stream(["chunks_fold_into_completion"], chunks, None))
    list(run_stream(["chunks_fold_into_completion"], chunks, lambda m: seen.append(m) or ()))
    (folded,) = seen
    assert folded["object"] == "chat.completion"
    assert folded["choices"] == [
        {"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}
    ]


def _registry_with(sample: Path, file: str, old: str, new: str) -> Registry:
    path = sample / "contracts" / "acme" / "endpoints" / file
    path.write_text(path.read_text().replace(old, new))
    return Registry.load(sample / "contracts")


def test_a_json_endpoint_names_body_rules(sample: Path) -> None:
    registry = _registry_with(
        sample, "chat.yaml", "volatile:", "rules: [token_counts_non_negative]\nvolatile:"
    )
    assert registry.endpoint("acme/chat").rules == ("token_counts_non_negative",)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("chat.yaml", "volatile:", "rules: [nothing_after_finish]\nvolatile:",
         r"'rules' names 'nothing_after_finish', a rule of a stream: list it under stream.rules"),
        ("chat.yaml", "volatile:", "rules: [total_is_prompt_plus]\nvolatile:",
         r"unknown rule 'total_is_prompt_plus' \(did you mean 'total_is_prompt_plus_completion'\?\)"),
        ("chat_stream.yaml", "[usage_chunk_last]", "[chunks_fold_into_completion]",
         r"'stream.folds_into' is needed by the rule 'chunks_fold_into_completion'"),
        ("chat_stream.yaml", "[usage_chunk_last]",
         "[chunks_fold_into_completion]\n  folds_into: chat_streamed",
         r"'stream.folds_into' names 'chat_streamed', which is not a non-streamed endpoint of "
         r"this provider with a 200 schema \(those: chat\)"),
    ],
    ids=["stream rule on a body", "unknown", "fold without target", "fold into nothing"],
)  # fmt: skip
def test_a_misnamed_rule_stops_the_provider_with_one_line(
    sample: Path, file: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(ContractError, match=message) as info:
        _registry_with(sample, file, old, new).provider("acme")
    assert f"acme/endpoints/{file}" in str(info.value)


def test_a_stream_folds_into_the_named_endpoint_and_is_checked_as_its_answer(
    sample: Path,
) -> None:
    registry = _registry_with(
        sample, "chat_stream.yaml", "[usage_chunk_last]",
        "[usage_chunk_last, chunks_fold_into_completion]\n  folds_into: chat",
    )  # fmt: skip
    endpoint = registry.endpoint("acme/chat_stream")
    assert endpoint.folds_into is registry.endpoint("acme/chat")
    first = chunk("O")
    first["choices"][0]["delta"]["role"] = "assistant"
    assert validate_response(endpoint, 200, stream(first, chunk("K", "stop"), USAGE_CHUNK)).ok
    roleless = validate_response(endpoint, 200, stream(chunk("O"), chunk("K", "stop"), USAGE_CHUNK))
    (violation,) = roleless.violations
    assert violation.rule == "chunks_fold_into_completion"
    assert violation.instance_path == "/choices/0/message"
    assert violation.message == ('the message the stream folds into: "role" is a required property')
    cut = stream(chunk("O"), chunk("K", "stop"), done=False)
    # A stream cut short is reported once, as such, not again as a message that does not fold.
    assert [v.rule for v in validate_response(endpoint, 200, cut).violations] == [""]


def test_every_registered_rule_is_named_by_a_contract() -> None:
    registry = Registry.load(Path(__file__).parents[3] / "contracts")
    named = {
        r for e in registry.endpoints() for r in (*e.rules, *(e.stream.rules if e.stream else ()))
    }
    assert set(RULES) - named == set()
