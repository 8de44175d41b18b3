"""`--consumer NAME` from the command line: lint checks the file and names the gaps."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from support.paths import REPO

Run = Callable[..., Result]


def consumer(sample: Path, text: str, name: str = "app") -> None:
    folder = sample / "contracts" / "consumers"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)


READS = """\
endpoints:
  acme/chat:
    usage.total_tokens: {present: true, types: [integer]}
    choices[].message.content: {present: true}
"""


def test_lint_takes_a_consumer_folder_for_what_it_is(run: Run, sample: Path) -> None:
    consumer(sample, READS)
    result = run("lint")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("2 providers, 3 endpoints: all good\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "endpoints: {acme/chats: {id: }}\n",
            "error: contracts/consumers/app.yaml: unknown endpoint 'acme/chats' (did you mean "
            "'acme/chat'?); `contracts list` shows them all",
        ),
        (
            "endpoints: {acme/chat: {id.value: }}\n",
            "error: contracts/consumers/app.yaml: acme/chat id.value: no schema of this endpoint "
            "can have this path (id is string, never an object); fix the path, or the schema in "
            "contracts/acme/",
        ),
    ],
    ids=["unknown endpoint", "impossible path"],
)
def test_lint_stops_on_a_broken_consumer_file_with_one_line(
    run: Run, sample: Path, text: str, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample)
    consumer(sample, text)
    result = run("lint")
    assert result.exit_code == 2
    assert result.stderr == line + "\n"


def test_lint_warns_where_the_consumer_reads_what_the_contract_does_not_guarantee(
    run: Run, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample)
    consumer(sample, READS)
    result = run("lint", "--consumer", "app")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "warn  contracts/consumers/app.yaml: acme/chat choices[].message.content: app reads it, "
        "but the contract does not guarantee it (nullable at choices[].message.content)",
        "2 providers, 3 endpoints: all good; 1 read of app not guaranteed",
    ]
    data = json.loads(run("lint", "--consumer", "app", "--format", "json").output)
    assert data["not_guaranteed"] == [
        {
            "file": "contracts/consumers/app.yaml",
            "endpoint": "acme/chat",
            "path": "choices[].message.content",
            "why": "nullable at choices[].message.content",
        }
    ]


def test_lint_of_an_unknown_consumer_says_how_to_learn_it(run: Run, sample: Path) -> None:
    result = run("lint", "--consumer", "nobody")
    assert result.exit_code == 2
    assert "pytest --contracts-learn=nobody" in result.stderr


# --- the gate and verify, judged through the example gateway's consumer file -------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of this repository's contracts (the gateway's consumer file included) and cassettes."""
    root = tmp_path / "repo"
    for name in ("contracts", "cassettes"):
        shutil.copytree(REPO / name, root / name)
    return root


def drop(root: Path, *path: str) -> None:
    """Remove a field from the first recorded chat completion of OpenRouter."""
    cassette = root / "cassettes" / "openrouter" / "chat_completions.json"
    doc = json.loads(cassette.read_text())
    body = doc["interactions"][0]["response"]["body"]["json"]
    for key in path[:-1]:
        body = body[key]
    del body[path[-1]]
    cassette.write_text(json.dumps(doc))


def gate(run: Run, root: Path, *args: str) -> Result:
    report = root / "reports" / "all.json"
    run("verify", "--all", "--report", f"json:{report}", root=root)
    return run("gate", str(report), "--allow-offline", *args, root=root)


def test_a_required_field_the_gateway_never_reads_does_not_block_its_gate(
    run: Run, repo: Path
) -> None:
    drop(repo, "created")
    assert gate(run, repo).exit_code == 1  # judged by the schema alone, it blocks
    result = gate(run, repo, "--consumer", "gateway")
    assert result.exit_code == 0, result.output
    assert (
        'note  openrouter/chat_completions: not read by gateway: contract violation at /: "created" '
        "is a required property" in result.output
    )
    assert "no violation or breaking drift read by gateway" in result.output


def test_a_field_the_gateway_reads_blocks_its_gate_and_the_json_says_who_reads_it(
    run: Run, repo: Path
) -> None:
    drop(repo, "usage", "total_tokens")
    result = gate(run, repo, "--consumer", "gateway")
    assert result.exit_code == 1
    assert "BLOCK openrouter/chat_completions: 1 contract violation, first at /usage" in (
        result.output
    )
    data = json.loads(gate(run, repo, "--consumer", "gateway", "--format", "json").output)
    assert data["consumer"] == "gateway"
    assert data["findings"] == [
        {
            "endpoint": "openrouter/chat_completions",
            "kind": "violation",
            "path": "/usage",
            "problem": 'contract violation at /usage: "total_tokens" is a required property',
            "read_by": ["gateway"],
            "status": "blocks",
        }
    ]


def test_a_waiver_still_accepts_what_the_gateway_reads(run: Run, repo: Path) -> None:
    drop(repo, "usage", "total_tokens")
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    (repo / "contracts" / "waivers.yaml").write_text(
        "- {endpoint: openrouter/chat_completions, finding: usage, reason: known, "
        f"who: a@example.com, expires: {expires}}}\n"
    )
    result = gate(run, repo, "--consumer", "gateway")
    assert result.exit_code == 0, result.output
    data = json.loads(gate(run, repo, "--consumer", "gateway", "--format", "json").output)
    assert [f["status"] for f in data["findings"]] == ["waived"]


def test_verify_judged_through_the_gateway(run: Run, repo: Path) -> None:
    drop(repo, "created")
    result = run("verify", "openrouter", "--consumer", "gateway", root=repo)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        'not read by gateway: openrouter/chat_completions /: "created" is a required property',
        "gateway: 0 finding(s) read, 1 not read; for gateway the run holds",
    ]
    drop(repo, "usage", "total_tokens")
    result = run("verify", "openrouter", "--consumer", "gateway", root=repo)
    assert result.exit_code == 1
    assert "read by gateway: openrouter/chat_completions /usage: " in result.output


def test_an_unknown_consumer_stops_the_gate_with_one_line(run: Run, repo: Path) -> None:
    result = gate(run, repo, "--consumer", "nobody")
    assert result.exit_code == 2
    assert "no such consumer file; learn it with `pytest --contracts-learn=nobody`" in (
        result.stderr
    )
