"""Every real provider response in tests/data/real holds against its contract.

The corpus holds response bodies taken from other public projects' test cassettes and
fixtures (recorded against the real APIs), each with its provenance in
tests/data/real/index.json. A contract that fails one of them is wrong, unless the index
marks the body `expect: fail` and says why (an ancient API version, a response a gateway
could not use, or a known false alarm of a rule that lives outside contracts/).

The bodies are checked through the `contracts check` command, as a user would run it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner

from provider_contracts.cli import main

PROJECT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT / "tests" / "data" / "real"
INDEX: list[dict[str, Any]] = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))

PROVIDERS = {"openrouter", "portkey", "openai", "anthropic", "stripe"}
PROVENANCE = (
    "file",
    "provider",
    "endpoint",
    "status",
    "repository",
    "path",
    "commit",
    "interaction",
    "recorded",
    "date_source",
    "what",
    "body",
    "expect",
)
MINIMUM_BODIES = 150


def contracts(*args: str) -> tuple[int, str]:
    """Run `contracts ARGS...` in-process; its exit code and what it printed."""
    with (
        CliRunner().isolation() as (stdout, stderr, _),
        mock.patch.object(sys, "argv", ["contracts", "--root", str(PROJECT), *args]),
    ):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return code, stdout.getvalue().decode() + stderr.getvalue().decode()


@pytest.mark.parametrize(
    "entry",
    [pytest.param(entry, id=entry["file"]) for entry in INDEX],
)
def test_a_real_response_holds_against_its_contract(entry: dict[str, Any]) -> None:
    code, output = contracts(
        "check",
        f"{entry['provider']}/{entry['endpoint']}",
        str(CORPUS / entry["file"]),
        "--status",
        str(entry["status"]),
    )
    expected = 1 if entry["expect"] == "fail" else 0
    assert code == expected, f"{entry['what']} ({entry['repository']} {entry['path']}):\n{output}"


def test_the_index_and_the_files_agree() -> None:
    listed = [entry["file"] for entry in INDEX]
    on_disk = {
        path.relative_to(CORPUS).as_posix()
        for path in CORPUS.rglob("*")
        if path.suffix in {".json", ".sse"} and path.parent != CORPUS
    }
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(on_disk - set(listed)) == [], "files in the corpus that the index does not list"
    assert sorted(set(listed) - on_disk) == [], "files the index lists that are not there"


@pytest.mark.parametrize("entry", [pytest.param(entry, id=entry["file"]) for entry in INDEX])
def test_every_body_says_where_it_came_from(entry: dict[str, Any]) -> None:
    missing = [key for key in PROVENANCE if key not in entry]
    assert missing == []
    provider, endpoint, name = entry["file"].split("/")
    assert (provider, endpoint) == (entry["provider"], entry["endpoint"])
    assert name.endswith(".sse" if endpoint.endswith("_stream") else ".json")
    assert len(entry["commit"]) == 40
    assert entry["expect"] in {"pass", "fail"}
    if entry["expect"] == "fail":
        assert entry.get("reason"), "an expected failure says why"


def test_the_corpus_is_large_enough_and_covers_every_provider_with_recordings() -> None:
    by_provider = Counter(entry["provider"] for entry in INDEX)
    assert len(INDEX) >= MINIMUM_BODIES
    assert set(by_provider) <= PROVIDERS
    # Portkey is the one provider no public project has recorded (see the corpus README).
    assert set(by_provider) >= PROVIDERS - {"portkey"}
