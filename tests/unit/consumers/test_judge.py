"""Judging through a consumer: a finding is read at the path or above it; gaps are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider_contracts.consumers.judge import (
    gaps,
    read_by,
    reads,
    reads_violation,
    violation_path,
)
from provider_contracts.consumers.model import Consumer, Read
from provider_contracts.contract.registry import Registry
from support.paths import SAMPLE

APP = Consumer(
    "app",
    {
        "acme/chat": {
            "usage.total_tokens": Read(),
            "choices[].message.content": Read(types=("null", "string")),
        },
        "acme/chat_stream": {"events[chat.completion.chunk].choices[].delta": Read()},
    },
    Path("contracts/consumers/app.yaml"),
)


@pytest.mark.parametrize(
    ("endpoint", "path", "read"),
    [
        ("acme/chat", "usage.total_tokens", True),
        ("acme/chat", "usage", True),
        ("acme/chat", "choices[]", True),
        ("acme/chat", "", True),
        ("acme/chat_stream", "stream.terminator", True),
        ("acme/chat_stream", "events[chat.completion.chunk]", True),
        ("acme/chat", "usage.total", False),
        ("acme/chat", "created", False),
        ("acme/chat", "choices[].finish_reason", False),
        ("beta/messages_stream", "", False),
    ],
    ids=lambda v: str(v) if not isinstance(v, bool) else ("read" if v else "not read"),
)
def test_a_drift_finding_is_read_at_the_path_or_an_ancestor(
    endpoint: str, path: str, read: bool
) -> None:
    assert reads(APP, endpoint, path) is read


def test_a_violation_is_matched_as_a_drift_path_and_inside_stream_events() -> None:
    assert reads_violation(APP, "acme/chat", "/choices/0/message")
    assert reads_violation(APP, "acme/chat", "")  # the body as a whole
    assert reads_violation(APP, "acme/chat_stream", "/choices/2")
    assert not reads_violation(APP, "acme/chat", "/id")
    assert read_by([APP], "acme/chat", "usage") == ["app"]
    assert read_by([APP], "acme/chat", "/id", "oops") == []


def test_a_missing_required_key_is_judged_at_the_key_not_at_its_object() -> None:
    assert violation_path("", '"created" is a required property') == "created"
    assert violation_path("/usage", '"total_tokens" is a required property') == (
        "usage.total_tokens"
    )
    assert not reads_violation(APP, "acme/chat", "", '"created" is a required property')
    assert reads_violation(APP, "acme/chat", "/usage", '"total_tokens" is a required property')


def test_gaps_are_reads_the_contract_leaves_optional_or_nullable() -> None:
    consumer = Consumer(
        "app",
        {
            "acme/chat": {
                "usage.total_tokens": Read(),
                "choices[].message.content": Read(),
                "model": Read(),
            },
            "acme/chat_stream": {"events[chat.completion.chunk].usage.total_tokens": Read()},
        },
        Path("app.yaml"),
    )
    found = [str(g) for g in gaps(consumer, Registry.load(SAMPLE / "contracts"))]
    assert found == [
        "app.yaml: acme/chat choices[].message.content: app reads it, but the contract does "
        "not guarantee it (nullable at choices[].message.content)",
        "app.yaml: acme/chat model: app reads it, but the contract does not guarantee it "
        "(no schema describes it)",
        "app.yaml: acme/chat_stream events[chat.completion.chunk].usage.total_tokens: app reads "
        "it, but the contract does not guarantee it (optional at usage)",
    ]


def test_a_null_the_consumer_is_tested_with_is_no_gap() -> None:
    assert list(gaps(APP, Registry.load(SAMPLE / "contracts"))) == []
