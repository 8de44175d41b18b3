"""The gate judged through a consumer: breaking drift it reads blocks, the rest is a note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from provider_contracts.consumers.model import Consumer, Read
from provider_contracts.drift.findings import Finding
from provider_contracts.gate.render import render, to_dict
from provider_contracts.gate.report import read_report
from provider_contracts.gate.verdict import GateResult, evaluate
from provider_contracts.reports import json as json_report
from provider_contracts.verify.offline import EndpointResult, VerifyResult

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENDPOINTS = ["openrouter/chat_completions", "openrouter/models"]
GATEWAY = Consumer(
    "gateway",
    {"openrouter/chat_completions": {"usage.total_tokens": Read(), "choices[].message": Read()}},
)
BILLING = Consumer("billing", {"openrouter/models": {"data[].pricing.prompt": Read()}})


def drift(path: str) -> Finding:
    return Finding(
        path, "removed", "object", "absent", "breaking", "the schema requires it, and it is gone"
    )


def gate(tmp_path: Path, *paths: str, consumer: str | None = "gateway") -> GateResult:
    finished = NOW - timedelta(hours=1)
    chat = EndpointResult("openrouter/chat_completions", "fail", drift=tuple(map(drift, paths)))
    models = EndpointResult("openrouter/models", "pass")
    result = VerifyResult(finished, finished, "live", (chat, models))
    path = tmp_path / "nightly.json"
    path.write_text(json_report.render(result))
    return evaluate(
        [read_report(path)], ENDPOINTS, now=NOW, consumers=[GATEWAY, BILLING], consumer=consumer
    )


def test_breaking_drift_above_a_read_path_blocks(tmp_path: Path) -> None:
    result = gate(tmp_path, "usage", "created")
    assert [b.problem for b in result.blockers] == ["breaking drift at usage (object -> absent)"]
    assert "note  openrouter/chat_completions: not read by gateway: breaking drift at created" in (
        render(result)
    )


def test_breaking_drift_the_consumer_does_not_read_passes(tmp_path: Path) -> None:
    result = gate(tmp_path, "created", "choices[].finish_reason")
    assert result.passed
    assert render(result).endswith("no violation or breaking drift read by gateway\n")


def test_without_a_consumer_everything_breaking_blocks_and_readers_are_still_named(
    tmp_path: Path,
) -> None:
    result = gate(tmp_path, "choices[]", "created", consumer=None)
    assert len(result.blockers) == 2
    findings = to_dict(result)["findings"]
    assert [(f["path"], f["read_by"], f["status"]) for f in findings] == [
        ("choices[]", ["gateway"], "blocks"),
        ("created", [], "blocks"),
    ]
    assert to_dict(result)["consumer"] is None
