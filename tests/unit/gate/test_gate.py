"""The staging gate's verdict, with the clock passed in: age and expiry without sleeping."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.contract.violations import Violation
from provider_contracts.drift.findings import Finding
from provider_contracts.errors import ContractError, InputError, ReportError
from provider_contracts.gate.render import render, to_dict
from provider_contracts.gate.report import Report, read_report
from provider_contracts.gate.verdict import DEFAULT_MAX_AGE, GateResult, evaluate, parse_duration
from provider_contracts.gate.waivers import Waiver, load_waivers
from provider_contracts.jsonpath import from_pointer
from provider_contracts.reports import json as json_report
from provider_contracts.verify.offline import EndpointResult, InteractionResult, VerifyResult

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENDPOINTS = ["openrouter/models", "openrouter/key", "stripe/customer_create"]
BREAKING = Finding(
    "data[].pricing.prompt",
    "type_changed",
    "string",
    "number",
    "breaking",
    "required by the schema",
)
VIOLATION = Violation(
    "schema", '1 is not of type "string"', "/data/0/pricing/prompt", "/x/type", "1"
)


def _interaction(*violations: Violation) -> InteractionResult:
    return InteractionResult(
        0, "list", "cassettes/openrouter/models.json", 200, "success", 0, violations
    )


def _ok(name: str) -> EndpointResult:
    return EndpointResult(name, "pass", interactions=(_interaction(),))


def _write(
    tmp_path: Path,
    name: str,
    *endpoints: EndpointResult,
    age: timedelta = timedelta(hours=6),
    mode: str = "live",
) -> Path:
    finished = NOW - age
    result = VerifyResult(finished - timedelta(minutes=2), finished, mode, endpoints)  # type: ignore[arg-type]
    path = tmp_path / f"{name}.json"
    path.write_text(json_report.render(result))
    return path


def _gate(tmp_path: Path, *endpoints: EndpointResult, **options: Any) -> GateResult:
    """One fresh live report holding these endpoints, plus clean ones for the rest."""
    given_names = {e.endpoint for e in endpoints}
    rest = [_ok(name) for name in ENDPOINTS if name not in given_names]
    reports = [read_report(_write(tmp_path, "nightly", *endpoints, *rest))]
    return evaluate(reports, ENDPOINTS, now=options.pop("now", NOW), **options)


def _lines(result: GateResult) -> list[str]:
    return [str(b) for b in result.blockers]


# --- the verdict ---------------------------------------------------------------------------


def test_fresh_clean_reports_covering_every_endpoint_pass(tmp_path: Path) -> None:
    result = _gate(tmp_path)
    assert result.passed and result.exit_code == 0
    assert render(result).splitlines()[-1] == (
        "gate: pass: 3 of 3 endpoints covered by 1 report (oldest 6h), "
        "no violation or breaking drift"
    )


def test_breaking_drift_blocks_with_its_path_shapes_and_what_to_do(tmp_path: Path) -> None:
    drifted = EndpointResult(
        "openrouter/models", "fail", interactions=(_interaction(),), drift=(BREAKING,)
    )
    result = _gate(tmp_path, drifted)
    assert result.exit_code == 1
    assert _lines(result) == [
        "openrouter/models: breaking drift at data[].pricing.prompt (string -> number); "
        "refresh with `contracts record openrouter --endpoint models` after fixing the gateway, "
        "or waive it in contracts/waivers.yaml"
    ]


@pytest.mark.parametrize("severity", ["risky", "additive", "noise"])
def test_drift_that_is_not_breaking_does_not_block(tmp_path: Path, severity: str) -> None:
    finding = replace(BREAKING, severity=severity)
    result = _gate(tmp_path, EndpointResult("openrouter/models", "pass", drift=(finding,)))
    assert result.passed


def test_risky_drift_is_mentioned(tmp_path: Path) -> None:
    finding = replace(BREAKING, severity="risky")
    result = _gate(tmp_path, EndpointResult("openrouter/models", "pass", drift=(finding,)))
    assert result.notes == (
        "risky drift, not blocking: 1 finding(s) on 1 endpoint(s) (openrouter/models); "
        "the reports list them",
    )


def test_a_violation_blocks_with_the_first_place_and_the_count(tmp_path: Path) -> None:
    other = Violation("schema", "'id' is a required property", "/data/3", "/x/required")
    failing = EndpointResult(
        "openrouter/models", "fail", interactions=(_interaction(VIOLATION, other),)
    )
    (blocker,) = _gate(tmp_path, failing).blockers
    assert blocker.kind == "violation"
    assert blocker.problem == (
        "2 contract violations, first at /data/0/pricing/prompt in "
        'cassettes/openrouter/models.json #0 list: 1 is not of type "string"'
    )
    assert "`contracts record openrouter --endpoint models`" in blocker.fix


@pytest.mark.parametrize(
    ("allow", "passes"), [(False, False), (True, True)], ids=["blocks", "allowed"]
)
def test_could_not_verify_blocks_unless_allowed(tmp_path: Path, allow: bool, passes: bool) -> None:
    down = EndpointResult("stripe/customer_create", "unverified", note="503 after 3 tries")
    result = _gate(tmp_path, down, allow_unverified=allow)
    assert result.passed is passes
    text = render(result)
    assert "stripe/customer_create: could not verify (503 after 3 tries)" in text
    assert ("--allow-unverified" in text) is True


def test_a_missing_cassette_blocks_even_when_unverified_is_allowed(tmp_path: Path) -> None:
    missing = EndpointResult(
        "openrouter/key", "missing", note="cassettes/openrouter/key.json does not exist"
    )
    (blocker,) = _gate(tmp_path, missing, allow_unverified=True).blockers
    assert blocker.kind == "missing"
    assert (
        blocker.fix == "record one with `contracts record openrouter --endpoint key` and commit it"
    )


def test_a_failing_endpoint_with_nothing_explained_still_blocks(tmp_path: Path) -> None:
    (blocker,) = _gate(
        tmp_path, EndpointResult("openrouter/key", "fail", note="truncated stream")
    ).blockers
    assert (blocker.kind, blocker.problem) == ("failed", "reported as failing (truncated stream)")


@pytest.mark.parametrize(
    ("age", "max_age", "blocks"),
    [
        (timedelta(hours=25), DEFAULT_MAX_AGE, False),
        (timedelta(hours=26, minutes=1), DEFAULT_MAX_AGE, True),
        (timedelta(minutes=91), timedelta(minutes=90), True),
        (timedelta(days=1, hours=23), timedelta(days=2), False),
    ],
    ids=["25h-under-26h", "26h01-over-26h", "91m-over-90m", "47h-under-2d"],
)
def test_a_report_older_than_max_age_blocks(
    tmp_path: Path, age: timedelta, max_age: timedelta, blocks: bool
) -> None:
    report = read_report(_write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), age=age))
    result = evaluate([report], ENDPOINTS, now=NOW, max_age=max_age)
    assert (not result.passed) is blocks
    assert [b.kind for b in result.blockers] == (["stale"] if blocks else [])


def test_a_stale_report_says_how_old_and_how_to_refresh(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "openrouter",
        _ok("openrouter/models"),
        _ok("openrouter/key"),
        age=timedelta(hours=31),
    )
    fresh = _write(tmp_path, "stripe", _ok("stripe/customer_create"))
    result = evaluate([read_report(path), read_report(fresh)], ENDPOINTS, now=NOW)
    (line,) = _lines(result)  # its endpoints are not also called uncovered
    assert line == (
        f"{path}: 31h old (finished 2026-03-01 02:00 UTC), older than --max-age 26h; rerun the "
        "nightly (`gh workflow run contracts-nightly.yml`) or "
        f"`contracts verify openrouter --live --report json:{path}`"
    )


def test_endpoints_no_report_covers_block_one_line_per_provider(tmp_path: Path) -> None:
    report = read_report(_write(tmp_path, "r", _ok("openrouter/models")))
    result = evaluate([report], ENDPOINTS, now=NOW)
    assert [(b.kind, b.subject) for b in result.blockers] == [
        ("uncovered", "openrouter/key"),
        ("uncovered", "stripe"),
    ]
    assert str(result.blockers[1]) == (
        "stripe: no report covers any of its endpoints; check that the nightly verifies it "
        "and its job wrote a report, or run "
        "`contracts verify stripe --live --report json:reports/stripe.json`"
    )
    assert result.covered == 1 and result.endpoints == 3


def test_the_newest_report_on_an_endpoint_speaks_for_it(tmp_path: Path) -> None:
    broken = EndpointResult("openrouter/models", "fail", drift=(BREAKING,))
    old = _write(
        tmp_path,
        "old",
        broken,
        _ok("openrouter/key"),
        _ok("stripe/customer_create"),
        age=timedelta(hours=8),
    )
    new = _write(tmp_path, "new", _ok("openrouter/models"), age=timedelta(hours=1))
    assert evaluate([read_report(new), read_report(old)], ENDPOINTS, now=NOW).passed
    assert not evaluate([read_report(old)], ENDPOINTS, now=NOW).passed


def test_an_offline_report_blocks_in_one_line(tmp_path: Path) -> None:
    report = read_report(_write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), mode="offline"))
    result = evaluate([report], ENDPOINTS, now=NOW)
    assert [str(b) for b in result.blockers] == [
        f"{report.path}: an offline report: it checks the committed cassettes, not what the "
        "providers answer today; give the nightly's live reports (`verify --live`), or pass "
        "--allow-offline"
    ]
    assert result.covered == 3


def test_an_offline_report_counts_when_allowed_and_is_noted(tmp_path: Path) -> None:
    report = read_report(_write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), mode="offline"))
    result = evaluate([report], ENDPOINTS, now=NOW, allow_offline=True)
    assert result.passed
    assert any("an offline report" in note for note in result.notes)


def test_a_report_from_the_future_blocks(tmp_path: Path) -> None:
    report = read_report(
        _write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), age=-timedelta(days=1))
    )
    result = evaluate([report], ENDPOINTS, now=NOW)
    assert [b.kind for b in result.blockers] == ["future"]
    assert result.blockers[0].problem.startswith(
        "finished 2026-03-03 09:00 UTC, 24h after now (2026-03-02 09:00 UTC)"
    )


def test_a_report_a_few_minutes_ahead_is_clock_skew_and_counts(tmp_path: Path) -> None:
    report = read_report(
        _write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), age=-timedelta(minutes=4))
    )
    assert evaluate([report], ENDPOINTS, now=NOW).passed


def test_an_endpoint_no_longer_in_contracts_is_ignored_with_a_note(tmp_path: Path) -> None:
    report = read_report(
        _write(tmp_path, "r", *(_ok(n) for n in ENDPOINTS), _ok("openrouter/gone"))
    )
    result = evaluate([report], ENDPOINTS, now=NOW)
    assert result.passed
    assert any(note.startswith("openrouter/gone: in ") for note in result.notes)


def test_the_text_output_shows_a_few_lines_per_endpoint(tmp_path: Path) -> None:
    findings = tuple(replace(BREAKING, path=f"data[].field_{n}") for n in range(7))
    result = _gate(tmp_path, EndpointResult("openrouter/models", "fail", drift=findings))
    lines = render(result).splitlines()
    assert sum(line.startswith("BLOCK openrouter/models: breaking") for line in lines) == 3
    assert "BLOCK openrouter/models: 4 more (`--format json` lists them all)" in lines
    assert lines[-1] == "gate: blocked, 7 reasons; 3 of 3 endpoints covered by 1 report"
    assert len(to_dict(result)["blockers"]) == 7


# --- waivers -------------------------------------------------------------------------------


def _waiver(
    finding: str = "data[].pricing.prompt",
    expires: date = date(2026, 3, 31),
    endpoint: str = "openrouter/models",
) -> Waiver:
    return Waiver(endpoint, finding, "the gateway reads both", "alice", expires)


@pytest.mark.parametrize(
    ("waiver", "waived"),
    [
        (_waiver(), True),
        (_waiver("data[].pricing.*"), True),
        (_waiver("*", endpoint="openrouter/*"), True),
        (_waiver("data[].pricing"), False),
        (_waiver(endpoint="openrouter/key"), False),
    ],
    ids=["exact-path", "glob-path", "glob-endpoint", "a-prefix-is-not-a-match", "other-endpoint"],
)
def test_a_waiver_in_force_accepts_the_drift_it_names(
    tmp_path: Path, waiver: Waiver, waived: bool
) -> None:
    drifted = EndpointResult("openrouter/models", "fail", drift=(BREAKING,))
    result = _gate(tmp_path, drifted, waivers=[waiver])
    assert result.passed is waived
    assert bool(result.waived) is waived


@pytest.mark.parametrize(
    ("pointer", "path"),
    [
        ("/data/0/pricing/prompt", "data[].pricing.prompt"),
        ("/choices/0/message/tool_calls/1/id", "choices[].message.tool_calls[].id"),
        ("/a~1b/c~0d", "a/b.c~d"),
        ("", ""),
    ],
    ids=["array-item", "nested-arrays", "escaped-tokens", "the-body"],
)
def test_a_violation_pointer_reads_as_a_drift_path(pointer: str, path: str) -> None:
    assert from_pointer(pointer) == path


def test_one_waiver_of_a_drift_path_accepts_the_drift_and_its_violations(tmp_path: Path) -> None:
    both = EndpointResult(
        "openrouter/models", "fail", interactions=(_interaction(VIOLATION),), drift=(BREAKING,)
    )
    assert not _gate(tmp_path, both).passed
    assert _gate(tmp_path, both, waivers=[_waiver("data[].pricing.prompt")]).passed


def test_a_waiver_accepts_a_violation_by_its_instance_path(tmp_path: Path) -> None:
    failing = EndpointResult("openrouter/models", "fail", interactions=(_interaction(VIOLATION),))
    assert _gate(tmp_path, failing, waivers=[_waiver("/data/*/pricing/prompt")]).passed
    assert not _gate(tmp_path, failing, waivers=[_waiver("/data/*/pricing/completion")]).passed


@pytest.mark.parametrize(
    ("now", "passes"),
    [
        (datetime(2026, 3, 31, 23, 59, tzinfo=UTC), True),
        (datetime(2026, 4, 1, 0, 0, tzinfo=UTC), False),
    ],
    ids=["last-day-in-force", "day-after-expired"],
)
def test_a_waiver_holds_through_its_expiry_date(
    tmp_path: Path, now: datetime, passes: bool
) -> None:
    drifted = EndpointResult("openrouter/models", "fail", drift=(BREAKING,))
    report = read_report(
        _write(
            tmp_path,
            "r",
            drifted,
            _ok("openrouter/key"),
            _ok("stripe/customer_create"),
            age=timedelta(hours=1) - (now - NOW),  # finished an hour before `now`
        )
    )
    assert evaluate([report], ENDPOINTS, now=now, waivers=[_waiver()]).passed is passes


def test_an_expired_waiver_blocks_again_and_says_so(tmp_path: Path) -> None:
    drifted = EndpointResult("openrouter/models", "fail", drift=(BREAKING,))
    expired = _waiver(expires=date(2026, 2, 28))
    (blocker,) = _gate(tmp_path, drifted, waivers=[expired]).blockers
    assert blocker.expired == expired
    assert str(blocker) == (
        "openrouter/models: breaking drift at data[].pricing.prompt (string -> number); the waiver "
        "of 'data[].pricing.prompt' by alice (the gateway reads both) expired on 2026-02-28, so it "
        "blocks again; fix the cause, or renew the waiver's `expires` in contracts/waivers.yaml if "
        "it is still accepted"
    )


def test_an_expired_waiver_that_matches_nothing_is_noted_for_removal(tmp_path: Path) -> None:
    result = _gate(tmp_path, waivers=[_waiver(expires=date(2026, 1, 1))])
    assert result.passed
    assert any(
        "expired on 2026-01-01 and matches nothing now; remove it" in n for n in result.notes
    )


@given(st.text(max_size=40))
def test_a_waiver_without_a_star_matches_exactly_its_own_path(path: str) -> None:
    exact = Waiver("openrouter/models", path.replace("*", ""), "r", "w", date(2030, 1, 1))
    assert exact.matches("openrouter/models", exact.finding)
    assert not exact.matches("openrouter/models", exact.finding + "x")
    assert Waiver("openrouter/models", "*", "r", "w", date(2030, 1, 1)).matches(
        "openrouter/models", path
    )


def _waivers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def test_waivers_are_read_from_yaml(tmp_path: Path) -> None:
    path = _waivers_file(
        tmp_path,
        "- endpoint: openrouter/models\n  finding: data[].pricing.*\n  reason: accepted\n"
        "  who: alice\n  expires: 2026-03-31\n",
    )
    assert load_waivers(path, ENDPOINTS) == (
        Waiver("openrouter/models", "data[].pricing.*", "accepted", "alice", date(2026, 3, 31)),
    )
    assert load_waivers(_waivers_file(tmp_path, "# none yet\n"), ENDPOINTS) == ()


GOOD = {
    "endpoint": "openrouter/models",
    "finding": "x",
    "reason": "r",
    "who": "w",
    "expires": "2026-03-31",
}
BAD_WAIVERS = [
    ("not-a-list", {"endpoint": "x"}, "must be a list of waivers"),
    (
        "missing-field",
        [{k: v for k, v in GOOD.items() if k != "who"}],
        "(waiver 1): missing required field 'who'",
    ),
    (
        "unknown-field",
        [{**GOOD, "expiry": "2026-01-01"}],
        "field 'expiry' is not a waiver field (did you mean 'expires'?)",
    ),
    (
        "both-wildcards",
        [{**GOOD, "endpoint": "*", "finding": "*"}],
        "endpoint '*' and finding '*' are both wildcards, which would waive anything",
    ),
    (
        "both-wildcards-partly",
        [{**GOOD, "endpoint": "openrouter/*", "finding": "data[].*"}],
        "are both wildcards",
    ),
    ("beyond-a-year", [{**GOOD, "expires": "9999-12-31"}], "expires 9999-12-31, more than 365"),
    ("repeated", [GOOD, {**GOOD, "reason": "again"}], "(waiver 2): waives the same finding"),
    (
        "bad-date",
        [{**GOOD, "expires": "next week"}],
        "field 'expires' must be a date such as 2025-07-01",
    ),
    (
        "unknown-endpoint",
        [{**GOOD, "endpoint": "openroutr/models"}],
        "(did you mean 'openrouter/models'?)",
    ),
    ("not-a-mapping", ["openrouter/models"], "(waiver 1): must be a mapping"),
]


@pytest.mark.parametrize(
    ("data", "expected"), [(d, e) for _, d, e in BAD_WAIVERS], ids=[i for i, _, _ in BAD_WAIVERS]
)
def test_a_bad_waivers_file_is_one_line_naming_the_file(
    tmp_path: Path, data: Any, expected: str
) -> None:
    path = _waivers_file(tmp_path, json.dumps(data))  # JSON is YAML
    with pytest.raises(ContractError) as caught:
        load_waivers(path, ENDPOINTS)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and expected in message


BAD_WAIVER_YAML = [
    (
        "duplicate-key",
        "- endpoint: openrouter/models\n  finding: x\n  finding: y\n",
        ":3: key 'finding' given twice (also line 2); keep one",
    ),
    (
        "impossible-date",
        "- {endpoint: openrouter/models, finding: x, reason: r, who: w, expires: 2026-13-45}\n",
        ":1: '2026-13-45' is not a date (month must be in 1..12)",
    ),
    (
        "alias",
        "- &w {endpoint: openrouter/models, finding: x, reason: r, who: w, expires: 2026-03-31}\n"
        "- *w\n",
        ":2: a YAML alias (*w); write the value out",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(t, e) for _, t, e in BAD_WAIVER_YAML],
    ids=[i for i, _, _ in BAD_WAIVER_YAML],
)
def test_a_waivers_file_yaml_would_misread_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ContractError) as caught:
        load_waivers(_waivers_file(tmp_path, text), ENDPOINTS)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_the_waiver_horizon_is_counted_from_today(tmp_path: Path) -> None:
    path = _waivers_file(tmp_path, json.dumps([{**GOOD, "expires": "2026-06-01"}]))
    assert load_waivers(path, ENDPOINTS, today=date(2026, 3, 2))
    with pytest.raises(ContractError, match="more than 30 days from today"):
        load_waivers(path, ENDPOINTS, today=date(2026, 3, 2), horizon=timedelta(days=30))


# --- reading reports -----------------------------------------------------------------------


def _report_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "report.json"
    path.write_text(content)
    return path


def test_a_report_reads_back_what_verify_wrote(tmp_path: Path) -> None:
    report = read_report(
        _write(tmp_path, "r", EndpointResult("openrouter/models", "fail", drift=(BREAKING,)))
    )
    assert isinstance(report, Report)
    assert report.finished_at == NOW - timedelta(hours=6) and report.mode == "live"
    (entry,) = report.endpoints
    assert entry.drift[0].path == "data[].pricing.prompt" and entry.drift[0].severity == "breaking"


def test_a_report_reads_back_each_finding_as_written(tmp_path: Path) -> None:
    root = Finding("", "type_changed", "JSON", "event-stream", "breaking", "the body changed kind")
    written = EndpointResult("openrouter/models", "fail", drift=(BREAKING, root))
    (entry,) = read_report(_write(tmp_path, "r", written)).endpoints
    assert entry.drift == (BREAKING, root)


def test_a_finding_of_a_severity_this_version_does_not_know_blocks(tmp_path: Path) -> None:
    doc = _valid()
    doc["endpoints"][0]["drift"] = [{"path": "", "change": "reshaped", "severity": "seismic"}]
    path = tmp_path / "future.json"
    path.write_text(json.dumps(doc))
    result = evaluate([read_report(path)], ["openrouter/models"], now=NOW)
    assert result.exit_code == 1
    assert _lines(result)[0].startswith("openrouter/models: breaking drift at / (absent -> absent)")


def _valid() -> dict[str, Any]:
    result = VerifyResult(NOW, NOW, "live", (_ok("openrouter/models"),))
    return json.loads(json_report.render(result))  # type: ignore[no-any-return]


BAD_REPORTS = [
    ("not-json", "<testsuites/>", "not valid JSON"),
    ("empty", "", "the file is empty"),
    ("not-a-report", json.dumps({"endpoints": []}), "not a verify report (no report_version)"),
    ("a-list", "[]", "not a verify report (no report_version)"),
    (
        "wrong-version",
        json.dumps({**_valid(), "report_version": 2}),
        "report_version 2, but this gate reads version 1",
    ),
    (
        "bad-time",
        json.dumps({**_valid(), "finished_at": "yesterday"}),
        "finished_at is not an ISO 8601 time",
    ),
    ("no-endpoints", json.dumps({**_valid(), "endpoints": {}}), "endpoints is not a list"),
    (
        "bad-outcome",
        json.dumps({**_valid(), "endpoints": [{"endpoint": "a/b", "outcome": "meh"}]}),
        "endpoints[0] has an unknown outcome 'meh'",
    ),
    (
        "bad-drift",
        json.dumps({**_valid(), "endpoints": [{"endpoint": "a/b", "outcome": "pass", "drift": 3}]}),
        "endpoints[0] is malformed",
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"), [(c, e) for _, c, e in BAD_REPORTS], ids=[i for i, _, _ in BAD_REPORTS]
)
def test_a_file_that_is_not_a_report_is_an_input_error_naming_it(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = _report_file(tmp_path, content)
    with pytest.raises(ReportError) as caught:
        read_report(path)
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "\n" not in message and message.startswith(str(path)) and expected in message


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("26h", timedelta(hours=26)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(hours=36)),
        ("45s", timedelta(seconds=45)),
        ("26H", timedelta(hours=26)),
    ],
    ids=["minutes", "hours", "days", "days-and-hours", "seconds", "upper-case"],
)
def test_durations_are_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "26", "h", "-1h", "1.5h", "26 hours", "2w"],
    ids=["empty", "no-unit", "no-number", "negative", "fraction", "words", "weeks"],
)
def test_other_durations_are_refused_with_examples(text: str) -> None:
    with pytest.raises(InputError, match="use a number and a unit: 90m, 26h or 2d"):
        parse_duration(text)


def test_an_absurd_duration_is_refused_not_overflowed() -> None:
    with pytest.raises(InputError, match="'99999999999d' is longer than 3650d"):
        parse_duration("99999999999d")
    assert parse_duration("2d", longest=timedelta(days=2)) == timedelta(days=2)


def test_the_gate_result_as_json_names_every_blocker(tmp_path: Path) -> None:
    expired = _waiver(expires=date(2026, 2, 28))
    data = to_dict(
        _gate(
            tmp_path,
            EndpointResult("openrouter/models", "fail", drift=(BREAKING,)),
            waivers=[expired],
        )
    )
    assert data["verdict"] == "blocked" and data["exit_code"] == 1
    assert data["blockers"][0]["expired_waiver"] == {**asdict(expired), "expires": "2026-02-28"}
    assert data["reports"][0]["age_seconds"] == 6 * 3600
