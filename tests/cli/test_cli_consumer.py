"""`--consumer NAME` from the command line: lint checks the file and names the gaps."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

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
