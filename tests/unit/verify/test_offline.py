from __future__ import annotations

import json
from pathlib import Path

from provider_contracts.contract.registry import Registry
from provider_contracts.reports import json as json_report
from provider_contracts.reports import text as text_report
from provider_contracts.verify.offline import verify_offline


def _verify(sample: Path, *names: str):  # type: ignore[no-untyped-def]
    registry = Registry.load(sample / "contracts")
    endpoints = registry.select(names) if names else registry.endpoints()
    return verify_offline(endpoints, sample / "cassettes", sample / "contracts")


def test_the_sample_cassettes_hold(sample: Path) -> None:
    result = _verify(sample)
    assert result.exit_code == 0
    assert [e.outcome for e in result.endpoints] == ["pass", "pass", "pass"]
    assert result.count("interactions") == 5
    assert result.count("error_branch") == 1


def test_a_broken_recording_fails_its_endpoint_with_every_violation(sample: Path) -> None:
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["json"]["object"] = "completion"
    doc["interactions"][0]["response"]["body"]["json"]["usage"]["total_tokens"] = "3"
    path.write_text(json.dumps(doc))
    result = _verify(sample, "acme/chat")
    (endpoint,) = result.endpoints
    assert endpoint.outcome == "fail" and result.exit_code == 1
    assert sorted(v.instance_path for _, v in endpoint.violations) == [
        "/object",
        "/usage/total_tokens",
    ]


def test_an_endpoint_without_a_cassette_is_missing(sample: Path) -> None:
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    result = _verify(sample, "beta")
    assert result.endpoints[0].outcome == "missing"
    assert "contracts record beta --endpoint messages_stream" in (result.endpoints[0].note or "")
    assert result.exit_code == 2


def test_a_split_cassette_folder_is_read_file_by_file(sample: Path) -> None:
    folder = sample / "cassettes" / "acme" / "chat"
    folder.mkdir()
    original = sample / "cassettes" / "acme" / "chat.json"
    for name in ("part-1.json", "part-2.json"):
        (folder / name).write_bytes(original.read_bytes())
    result = _verify(sample, "acme/chat")
    assert len(result.endpoints[0].interactions) == 9
    assert len(result.endpoints[0].cassettes) == 3


def test_the_text_report_names_interaction_paths_and_excerpts(sample: Path) -> None:
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["json"]["choices"][0]["finish_reason"] = "banana"
    path.write_text(json.dumps(doc))
    text = text_report.render(_verify(sample, "acme/chat"))
    assert "FAIL acme/chat" in text
    assert "#0 completion (status 200) at /choices/0/finish_reason" in text
    assert 'got: "banana"' in text
    assert "schema: /properties/choices/items/properties/finish_reason/enum" in text
    assert text.rstrip().endswith("3 interactions, 1 violation: contract violated")


def test_the_json_report_carries_the_same_result(sample: Path) -> None:
    data = json.loads(json_report.render(_verify(sample)))
    assert data["summary"]["interactions"] == 5 and data["exit_code"] == 0
    assert data["endpoints"][0]["provenance"]["recorded_live"] is False
    assert data["endpoints"][0]["interactions"][1]["branch"] == "error"
