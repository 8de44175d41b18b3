"""The renderers of one VerifyResult: JUnit XML, Markdown and JSON (text in
tests/unit/verify/test_offline.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.cli._options import REPORT_FORMATS
from provider_contracts.contract.registry import Registry
from provider_contracts.contract.violations import Violation
from provider_contracts.drift.findings import Finding, one_line
from provider_contracts.reports import RENDERERS, junit, markdown
from provider_contracts.reports import json as json_report
from provider_contracts.verify.offline import (
    EndpointResult,
    InteractionResult,
    VerifyResult,
    verify_offline,
)

STARTED = datetime(2026, 3, 2, 3, 17, tzinfo=UTC)


BREAKING = Finding(
    "data[].pricing.prompt",
    "type_changed",
    "string",
    "number",
    "breaking",
    "required by the schema",
)
RISKY = Finding("data[].top_provider", "nullable", "object", "object|null", "risky", "")
ADDITIVE = Finding("data[].canonical_slug", "added", "absent", "string", "additive", "")


def _interaction(index: int, *violations: Violation, name: str | None = None) -> InteractionResult:
    return InteractionResult(
        index=index,
        name=name,
        cassette="cassettes/openrouter/models.json",
        status=200,
        branch="success",
        events=0,
        violations=violations,
    )


def _result(*endpoints: EndpointResult, mode: str = "live") -> VerifyResult:
    return VerifyResult(STARTED, STARTED + timedelta(seconds=4), mode, endpoints)  # type: ignore[arg-type]


def _broken_sample(sample: Path) -> VerifyResult:
    """The sample project verified offline, after acme/chat's first answer lost its shape."""
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["json"]["object"] = "completion"
    doc["interactions"][0]["response"]["body"]["json"]["usage"]["total_tokens"] = "3"
    path.write_text(json.dumps(doc))
    registry = Registry.load(sample / "contracts")
    return verify_offline(registry.endpoints(), sample / "cassettes", sample / "contracts")


VIOLATION = Violation(
    kind="schema",
    message='1 is not of type "string"',
    instance_path="/data/0/pricing/prompt",
    schema_path="/properties/data/items/properties/pricing/properties/prompt/type",
    excerpt="1",
)


def test_report_formats_and_renderers_agree() -> None:
    assert sorted(REPORT_FORMATS) == sorted(RENDERERS)


# --- JUnit -------------------------------------------------------------------------------


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


def test_junit_has_one_testcase_per_interaction_with_counts_that_add_up(sample: Path) -> None:
    root = ET.fromstring(junit.render(_broken_sample(sample)))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "0")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert sorted(suites) == ["acme", "beta"]
    assert (suites["acme"].get("tests"), suites["acme"].get("failures")) == ("4", "1")
    assert [c.get("name") for c in suites["acme"].iter("testcase")] == [
        "chat #0 completion",
        "chat #1 error under 200",
        "chat #2 unauthorized",
        "chat_stream #0 stream with keep-alive and usage",
    ]
    assert {c.get("classname") for c in suites["beta"].iter("testcase")} == {"beta"}


def test_a_junit_failure_carries_every_violation_of_its_interaction(sample: Path) -> None:
    case = _cases(junit.render(_broken_sample(sample)))["acme::chat #0 completion"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == '/object: "chat.completion" was expected (and 1 more)'
    assert failure.get("type") == "contract-violation"
    assert "at /usage/total_tokens" in (failure.text or "")
    assert 'got: "completion"' in (failure.text or "")


def test_junit_breaking_drift_is_its_own_failing_testcase() -> None:
    endpoint = EndpointResult(
        "openrouter/models", "fail", interactions=(_interaction(0),), drift=(RISKY, BREAKING)
    )
    cases = _cases(junit.render(_result(endpoint)))
    assert cases["openrouter::models #0"].find("failure") is None
    failure = cases["openrouter::models drift"].find("failure")
    assert failure is not None and failure.get("type") == "breaking-drift"
    assert failure.get("message") == "breaking drift at data[].pricing.prompt (string -> number)"
    assert "risky nullable at data[].top_provider (object -> object|null)" in (failure.text or "")


def test_junit_risky_and_additive_drift_pass_and_are_listed() -> None:
    endpoint = EndpointResult(
        "openrouter/models", "pass", interactions=(_interaction(0),), drift=(RISKY, ADDITIVE)
    )
    case = _cases(junit.render(_result(endpoint)))["openrouter::models drift"]
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and "additive added at data[].canonical_slug" in (out.text or "")


def test_junit_live_endpoint_without_drift_has_a_passing_drift_testcase() -> None:
    endpoint = EndpointResult("openrouter/models", "pass", interactions=(_interaction(0),))
    root = ET.fromstring(junit.render(_result(endpoint)))
    assert [c.get("name") for c in root.iter("testcase")] == ["models #0", "models drift"]
    assert root.get("failures") == "0"


@pytest.mark.parametrize(
    ("outcome", "note", "error_type"),
    [
        ("unverified", "api.example answered 503 three times", "could-not-verify"),
        ("missing", "cassettes/x/y.json does not exist", "missing-cassette"),
    ],
    ids=["could-not-verify", "missing-cassette"],
)
def test_junit_an_endpoint_not_verified_is_an_error_with_its_note(
    outcome: str, note: str, error_type: str
) -> None:
    endpoint = EndpointResult("openrouter/key", outcome, note=note)  # type: ignore[arg-type]
    root = ET.fromstring(junit.render(_result(endpoint)))
    (case,) = root.iter("testcase")
    error = case.find("error")
    assert error is not None and (error.get("type"), error.get("message")) == (error_type, note)
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("1", "1", "0")


def test_junit_a_failing_endpoint_without_details_still_fails() -> None:
    endpoint = EndpointResult("openrouter/key", "fail", note="the body was truncated")
    root = ET.fromstring(junit.render(_result(endpoint, mode="offline")))
    failure = next(root.iter("failure"))
    assert failure.get("message") == "the body was truncated"


def _xml_char(c: str) -> bool:
    return c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"


@given(st.text(max_size=200) | st.text(alphabet="\x00\x0b\ufffe\uffff\r\n<>&\"' a", max_size=20))
def test_junit_stays_valid_xml_whatever_a_response_holds(text: str) -> None:
    violation = Violation("schema", text, instance_path="/" + text, excerpt=text)
    endpoint = EndpointResult(
        "openrouter/models", "fail", interactions=(_interaction(0, violation, name=text),)
    )
    root = ET.fromstring(junit.render(_result(endpoint, mode="offline")))
    failure = next(root.iter("failure"))
    cleaned = "".join(c if _xml_char(c) else "\ufffd" for c in text)
    # A parser reads a carriage return in text as a line feed (XML end-of-line handling).
    expected = cleaned.replace("\r\n", "\n").replace("\r", "\n")
    assert expected in (failure.text or "")


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_opens_with_the_verdict_and_a_table_of_every_endpoint(sample: Path) -> None:
    page = markdown.render(_broken_sample(sample))
    lines = page.splitlines()
    assert lines[0] == "## Provider contracts: ❌ contract violated"
    assert "| acme | `chat` | ❌ fail (2 violations) | 3 | from tests/data/sample |" in lines
    assert "| acme | `chat_stream` | ✅ pass | 1 | from tests/data/sample |" in lines
    assert "| beta | `messages_stream` | ✅ pass | 1 | from tests/data/sample |" in lines


def test_markdown_lists_each_violation_with_both_paths_and_what_came(sample: Path) -> None:
    page = markdown.render(_broken_sample(sample))
    assert "### Violations (2)" in page
    assert (
        "cassettes/acme/chat.json` #0 completion (status 200) at "
        '`/usage/total_tokens`: "3" is not of type "integer"'
    ) in page
    assert '  - schema `/properties/object/const`, got `"completion"`' in page


def test_markdown_puts_breaking_drift_before_violations_with_old_and_new_shape() -> None:
    endpoint = EndpointResult(
        "openrouter/models",
        "fail",
        interactions=(_interaction(0, VIOLATION),),
        drift=(ADDITIVE, BREAKING, RISKY),
    )
    page = markdown.render(_result(endpoint))
    assert (
        "- **openrouter/models** `data[].pricing.prompt` type changed, `string` → `number`: "
        "required by the schema"
    ) in page
    assert page.index("### Breaking drift (1)") < page.index("### Violations (1)")
    assert page.index("### Violations (1)") < page.index("### Risky drift, not blocking (1)")
    assert (
        "| openrouter | `models` | ❌ fail (1 violation) | 1 | 1 additive, 1 breaking, 1 risky |"
        in page
    )


def test_markdown_says_what_could_not_be_verified_and_why() -> None:
    endpoint = EndpointResult("stripe/events_list", "unverified", note="timed out after 3 tries")
    page = markdown.render(_result(endpoint))
    assert page.splitlines()[0] == "## Provider contracts: ⚠️ could not verify"
    assert "- **stripe/events_list**: timed out after 3 tries" in page


def test_markdown_cuts_long_lists_and_points_at_the_json_report() -> None:
    many = tuple(Violation("schema", "bad", f"/data/{n}/id") for n in range(markdown.LIMIT + 7))
    endpoint = EndpointResult("openrouter/models", "fail", interactions=(_interaction(0, *many),))
    page = markdown.render(_result(endpoint, mode="offline"))
    assert page.count(" at `/data/") == markdown.LIMIT
    assert "- **openrouter/models**: 7 more violations, in the JSON report" in page


@given(st.text(alphabet="ab`| *_", max_size=30))
def test_markdown_code_spans_hold_any_backticks(text: str) -> None:
    violation = Violation("schema", "bad", instance_path=text)
    endpoint = EndpointResult("acme/chat", "fail", interactions=(_interaction(0, violation),))
    line = next(
        line for line in markdown.render(_result(endpoint)).splitlines() if line.startswith("- **")
    )
    span = line.split(" at ", 1)[1].rsplit(": bad", 1)[0]
    fence = span[: len(span) - len(span.lstrip("`"))]
    inner = span[len(fence) : len(span) - len(fence)]
    assert "`" * len(fence) not in inner
    assert inner.strip() == " ".join(text.split()).strip() or not text.strip()


# --- JSON and findings read back -----------------------------------------------------------


def test_the_json_report_carries_what_the_gate_reads() -> None:
    result = _result(
        EndpointResult(
            "openrouter/models",
            "fail",
            provenance={"recorded_live": True},
            interactions=(_interaction(0, VIOLATION),),
            drift=(BREAKING,),
        ),
        EndpointResult("openrouter/key", "unverified", note="503 after 3 tries"),
    )
    data = json.loads(json_report.render(result))
    assert data["report_version"] == 1 and data["finished_at"] == "2026-03-02T03:17:04+00:00"
    models, key = data["endpoints"]
    assert models["provenance"] == {"recorded_live": True}
    assert models["drift"][0]["severity"] == "breaking"
    assert models["interactions"][0]["violations"][0]["instance_path"] == "/data/0/pricing/prompt"
    assert (key["outcome"], key["note"]) == ("unverified", "503 after 3 tries")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "absent"),
        ("string", "string"),
        (["null", "string"], '["null","string"]'),
        ("x" * 100, "x" * 59 + "…"),
    ],
    ids=["absent", "a-type-name", "a-list", "cut-to-one-short-line"],
)
def test_shapes_read_back_on_one_short_line(value: Any, expected: str) -> None:
    assert one_line(Finding.from_dict({"old": value}).old) == expected


def test_a_finding_read_back_from_the_json_report_equals_the_one_written() -> None:
    result = _result(EndpointResult("openrouter/models", "fail", drift=(BREAKING, RISKY)))
    written = json.loads(json_report.render(result))["endpoints"][0]["drift"]
    assert [Finding.from_dict(d) for d in written] == [BREAKING, RISKY]
    assert set(written[0]) == {"path", "change", "old", "new", "severity", "reason"}


def test_an_unknown_severity_is_read_as_breaking() -> None:
    assert Finding.from_dict({"path": "x", "severity": "catastrophic"}).severity == "breaking"


def test_a_finding_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(TypeError, match="not str"):
        Finding.from_dict("data[].id")  # type: ignore[arg-type]


def test_verify_writes_junit_and_markdown_reports(run: Any, sample: Path, tmp_path: Path) -> None:
    _broken_sample(sample)
    xml, page = tmp_path / "out" / "r.xml", tmp_path / "out" / "r.md"
    result = run("verify", "--all", "--report", f"junit:{xml}", "--report", f"markdown:{page}")
    assert result.exit_code == 1
    assert ET.parse(xml).getroot().get("failures") == "1"
    assert page.read_text().startswith("## Provider contracts: ❌ contract violated\n")
