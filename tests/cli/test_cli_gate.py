"""`contracts gate` in-process: exit codes and the lines a person reads before a deploy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from provider_contracts.files import MAX_INPUT

Run = Callable[..., Result]


@pytest.fixture
def report(run: Run, tmp_path: Path) -> Path:
    """A fresh JSON report of `contracts verify --all` on the sample, which holds.

    An offline report: the tests below that are not about evidence pass --allow-offline.
    """
    path = tmp_path / "reports" / "all.json"
    assert run("verify", "--all", "--report", f"json:{path}").exit_code == 0
    return path


def _break_chat(sample: Path) -> None:
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["json"]["object"] = "completion"
    path.write_text(json.dumps(doc))


def _age(path: Path, by: timedelta) -> None:
    data = json.loads(path.read_text())
    for key in ("started_at", "finished_at"):
        data[key] = (datetime.fromisoformat(data[key]) - by).isoformat()
    path.write_text(json.dumps(data))


def _waive(sample: Path, expires: date, finding: str = "/object") -> None:
    (sample / "contracts" / "waivers.yaml").write_text(
        "# Accepted drift; each entry expires.\n"
        f"- endpoint: acme/chat\n  finding: {finding!r}\n"
        "  reason: acme renamed the object; the gateway ignores it\n"
        f"  who: alice\n  expires: {expires.isoformat()}\n"
    )


def test_a_fresh_clean_report_passes(run: Run, report: Path) -> None:
    result = run("gate", "--allow-offline", str(report))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(
        "gate: pass: 3 of 3 endpoints covered by 1 report (oldest 0m)"
    )


def test_the_same_report_given_twice_counts_once(run: Run, report: Path) -> None:
    other_spelling = report.parent / ".." / report.parent.name / report.name
    result = run("gate", "--allow-offline", str(report), str(other_spelling), str(report))
    assert result.exit_code == 0, result.output
    assert "covered by 1 report (oldest 0m)" in result.output.splitlines()[-1]
    assert result.output.count("an offline report") == 1


def test_a_violation_blocks_with_exit_1_and_says_what_to_do(
    run: Run, sample: Path, tmp_path: Path
) -> None:
    _break_chat(sample)
    path = tmp_path / "r.json"
    assert run("verify", "--all", "--report", f"json:{path}").exit_code == 1
    result = run("gate", "--allow-offline", str(path))
    assert result.exit_code == 1
    (block,) = [line for line in result.output.splitlines() if line.startswith("BLOCK")]
    assert block.startswith("BLOCK acme/chat: 1 contract violation, first at /object in ")
    assert "then `contracts record acme --endpoint chat`; or waive it in " in block
    assert block.endswith("contracts/waivers.yaml")
    assert result.output.splitlines()[-1] == (
        "gate: blocked, 1 reason; 3 of 3 endpoints covered by 1 report"
    )


def test_a_stale_report_blocks_until_max_age_allows_it(run: Run, report: Path) -> None:
    _age(report, timedelta(hours=30))
    stale = run("gate", "--allow-offline", str(report))
    assert stale.exit_code == 1
    assert "30h old" in stale.output and "older than --max-age 26h" in stale.output
    assert run("gate", "--allow-offline", str(report), "--max-age", "2d").exit_code == 0


def test_could_not_verify_blocks_unless_allowed(run: Run, report: Path) -> None:
    data = json.loads(report.read_text())
    data["endpoints"][2].update(outcome="unverified", note="beta answered 503 three times")
    report.write_text(json.dumps(data))
    blocked = run("gate", "--allow-offline", str(report))
    assert blocked.exit_code == 1 and "beta/messages_stream: could not verify" in blocked.output
    assert run("gate", "--allow-offline", str(report), "--allow-unverified").exit_code == 0


def test_a_provider_no_report_covers_blocks(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "acme.json"
    run("verify", "acme", "--report", f"json:{path}")
    result = run("gate", "--allow-offline", str(path))
    assert result.exit_code == 1
    assert "BLOCK beta: no report covers any of its endpoints" in result.output


def test_a_waiver_in_force_lets_the_violation_pass(run: Run, sample: Path, tmp_path: Path) -> None:
    _break_chat(sample)
    path = tmp_path / "r.json"
    run("verify", "--all", "--report", f"json:{path}")
    _waive(sample, datetime.now(UTC).date() + timedelta(days=30))
    result = run("gate", "--allow-offline", str(path))
    assert result.exit_code == 0, result.output
    assert "note  1 finding waived on acme/chat" in result.output


def test_an_expired_waiver_blocks_again_and_says_so(run: Run, sample: Path, tmp_path: Path) -> None:
    _break_chat(sample)
    path = tmp_path / "r.json"
    run("verify", "--all", "--report", f"json:{path}")
    _waive(sample, date(2020, 1, 31))
    result = run("gate", "--allow-offline", str(path))
    assert result.exit_code == 1
    assert (
        "the waiver of '/object' by alice (acme renamed the object; the gateway ignores it) "
        "expired on 2020-01-31, so it blocks again" in result.output
    )


def test_waivers_can_come_from_another_file(run: Run, sample: Path, tmp_path: Path) -> None:
    _break_chat(sample)
    path = tmp_path / "r.json"
    run("verify", "--all", "--report", f"json:{path}")
    _waive(sample, datetime.now(UTC).date() + timedelta(days=1))
    moved = tmp_path / "accepted.yaml"
    (sample / "contracts" / "waivers.yaml").rename(moved)
    assert run("gate", "--allow-offline", str(path)).exit_code == 1
    assert run("gate", "--allow-offline", str(path), "--waivers", str(moved)).exit_code == 0


def test_the_verdict_in_json(run: Run, report: Path) -> None:
    _age(report, timedelta(days=3))
    result = run("gate", "--allow-offline", str(report), "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert data["verdict"] == "blocked"
    assert [b["kind"] for b in data["blockers"]] == ["stale"]


BAD_INPUTS: list[tuple[str, Callable[[Path, Path], list[str]], str]] = [
    (
        "not-json",
        lambda s, r: ["gate", _write(r.with_suffix(".md"), "# summary")],
        "all.md: not valid JSON",
    ),
    (
        "not-a-report",
        lambda s, r: ["gate", _write(r, '{"findings": []}')],
        "not a verify report (no report_version)",
    ),
    (
        "wrong-version",
        lambda s, r: ["gate", _bump(r)],
        "report_version 9, but this gate reads version 1",
    ),
    ("no-such-file", lambda s, r: ["gate", str(r.parent / "nope.json")], "nope.json: cannot read"),
    ("unexpanded-glob", lambda s, r: ["gate", str(r.parent / "*.json")], "*.json: cannot read"),
    ("no-report", lambda s, r: ["gate"], "Missing argument 'REPORT...'"),
    (
        "bad-max-age",
        lambda s, r: ["gate", str(r), "--max-age", "a day"],
        "'--max-age': 'a day' is not a duration",
    ),
    (
        "missing-waivers",
        lambda s, r: ["gate", str(r), "--waivers", str(s / "nope.yaml")],
        "nope.yaml: cannot read",
    ),
    (
        "bad-waivers",
        lambda s, r: ["gate", str(r), "--waivers", _write(s / "w.yaml", "- endpoint: acme/chat\n")],
        "w.yaml (waiver 1): missing required field 'finding'",
    ),
    (
        "absurd-max-age",
        lambda s, r: ["gate", str(r), "--max-age", "99999999999d"],
        "'99999999999d' is longer than 365d",
    ),
    (
        "empty-contracts-root",
        lambda s, r: [_empty_contracts(s) and "gate", str(r)],
        "contracts: no endpoint contracts, so nothing to gate",
    ),
    (
        "waiver-of-anything",
        lambda s, r: ["gate", str(r), "--waivers", _waivers(s, "'*'", "'*'", "2026-12-31")],
        "are both wildcards, which would waive anything",
    ),
    (
        "waiver-until-9999",
        lambda s, r: ["gate", str(r), "--waivers", _waivers(s, "acme/chat", "/x", "9999-12-31")],
        "expires 9999-12-31, more than 365 days from today",
    ),
    (
        "waiver-horizon-absurd",
        lambda s, r: ["gate", str(r), "--waiver-horizon", "nan"],
        "'--waiver-horizon': 'nan' is not a duration",
    ),
    (
        "waiver-impossible-date",
        lambda s, r: ["gate", str(r), "--waivers", _waivers(s, "acme/chat", "/x", "2026-13-45")],
        "w.yaml:1: '2026-13-45' is not a date (month must be in 1..12)",
    ),
    (
        "waiver-duplicate-key",
        lambda s, r: [
            "gate",
            str(r),
            "--waivers",
            _write(s / "w.yaml", "- endpoint: acme/chat\n  endpoint: beta/events\n"),
        ],
        "w.yaml:2: key 'endpoint' given twice (also line 1); keep one",
    ),
    (
        "report-over-the-limit",
        lambda s, r: ["gate", _sparse(r.parent / "huge.json", MAX_INPUT + 1)],
        "huge.json: larger than 64 MiB, the most contracts reads as an input file",
    ),
    (
        "report-a-folder",
        lambda s, r: ["gate", str(r.parent)],
        "reports: cannot read (it is a folder)",
    ),
    (
        "unknown-waived-endpoint",
        lambda s, r: [
            "gate",
            str(r),
            "--waivers",
            _write(
                s / "w.yaml",
                "- {endpoint: acme/chats, finding: x, reason: r, who: w, expires: 2030-01-01}\n",
            ),
        ],
        "(did you mean 'acme/chat'?)",
    ),
]


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _waivers(sample: Path, endpoint: str, finding: str, expires: str) -> str:
    return _write(
        sample / "w.yaml",
        f"- {{endpoint: {endpoint}, finding: {finding!r}, reason: r, who: w, expires: {expires}}}\n",
    )


def _empty_contracts(sample: Path) -> bool:
    for folder in (sample / "contracts").iterdir():
        shutil.rmtree(folder)
    return True


def _sparse(path: Path, size: int) -> str:
    with path.open("wb") as handle:
        handle.truncate(size)
    return str(path)


def _bump(path: Path) -> str:
    data = json.loads(path.read_text())
    data["report_version"] = 9
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("make", "expected"), [(m, e) for _, m, e in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_bad_input_is_one_line_and_exit_2(
    run: Run, sample: Path, report: Path, make: Callable[[Path, Path], list[str]], expected: str
) -> None:
    args = make(sample, report)
    before = {
        p: p.read_bytes() for p in (*sample.rglob("*"), *report.parent.rglob("*")) if p.is_file()
    }
    result = run(*args)
    assert result.exit_code == 2, (result.output, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert expected in lines[0]
    assert "Traceback" not in result.output + result.stderr
    after = {
        p: p.read_bytes() for p in (*sample.rglob("*"), *report.parent.rglob("*")) if p.is_file()
    }
    assert after == before


def test_an_offline_report_blocks_unless_allowed(run: Run, report: Path) -> None:
    blocked = run("gate", str(report))
    assert blocked.exit_code == 1
    assert blocked.output.splitlines()[0] == (
        f"BLOCK {report}: an offline report: it checks the committed cassettes, not what the "
        "providers answer today; give the nightly's live reports (`verify --live`), or pass "
        "--allow-offline"
    )
    assert run("gate", str(report), "--allow-offline").exit_code == 0


def test_a_report_from_the_future_blocks(run: Run, report: Path) -> None:
    _age(report, -timedelta(days=365 * 73))
    result = run("gate", "--allow-offline", str(report))
    assert result.exit_code == 1
    assert (
        "after now" in result.output and "a report from the future proves nothing" in result.output
    )


def test_gate_help_shows_an_example(run: Run) -> None:
    result = run("gate", "--help")
    assert result.exit_code == 0
    assert "contracts gate reports/*.json" in result.output
    assert "--allow-unverified" in result.output and "--max-age DURATION" in result.output
