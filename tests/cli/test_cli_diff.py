"""`contracts diff OLD NEW`: the lines a user reads and the exit codes, in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import Result

from provider_contracts.cli.diff import MIXED, NO_DRIFT, UNCLASSIFIED
from provider_contracts.drift.findings import REASONS
from provider_contracts.drift.pairing import NOT_A_RECORDING

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def inside(sample: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the project folder, so file names print as a user typed them."""
    monkeypatch.chdir(sample)
    return sample


def cassette(sample: Path, name: str = "acme/chat") -> dict[str, Any]:
    return json.loads((sample / "cassettes" / f"{name}.json").read_text())


def write(path: Path, doc: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return str(path)


def scratch(sample: Path, doc: dict[str, Any], name: str = "acme/chat") -> str:
    """A fresh recording where `verify --live` puts it: scratch/PROVIDER/ENDPOINT.json."""
    return write(sample / "scratch" / f"{name}.json", doc)


def drifted(sample: Path) -> dict[str, Any]:
    """acme/chat with `finish_reason` gone and a `provider` field added in the completion."""
    doc = cassette(sample)
    body = doc["interactions"][0]["response"]["body"]["json"]
    del body["choices"][0]["finish_reason"]
    body["provider"] = "Acme"
    return doc


def test_identical_cassettes_show_no_drift(run: Run) -> None:
    result = run("diff", "cassettes/acme/chat.json", "cassettes/acme/chat.json")
    assert result.exit_code == 0
    assert result.stdout == f"acme/chat: {NO_DRIFT}\n"


def test_breaking_drift_exits_1_with_one_line_per_finding_worst_first(
    run: Run, sample: Path
) -> None:
    new = scratch(sample, drifted(sample))
    result = run("diff", "cassettes/acme/chat.json", new)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "breaking  choices[].finish_reason  string -> absent   " + REASONS["removed_required"],
        "additive  provider                 absent -> present  " + REASONS["added"],
        "acme/chat: 2 findings: 1 breaking, 1 additive",
    ]
    assert result.stderr == ""


def test_the_contract_is_inferred_from_the_cassettes_paths(run: Run, sample: Path) -> None:
    new = scratch(sample, drifted(sample))
    assert run("diff", "cassettes/acme/chat.json", new).stdout.endswith(
        "acme/chat: 2 findings: 1 breaking, 1 additive\n"
    )


def test_without_a_contract_the_findings_are_classified_without_a_schema(
    run: Run, sample: Path
) -> None:
    old = write(sample / "old.json", cassette(sample))
    new = write(sample / "new.json", drifted(sample))
    result = run("diff", old, new)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("risky     choices[].finish_reason")
    assert result.stdout.splitlines()[-1] == f"2 findings: 1 risky, 1 additive ({UNCLASSIFIED})"


def test_the_contract_option_classifies_two_body_files(run: Run, sample: Path) -> None:
    doc = cassette(sample)
    body = doc["interactions"][0]["response"]["body"]["json"]
    old = write(sample / "old.json", body)
    new = write(sample / "new.json", {**body, "object": "chat.completion.v2"})
    result = run("diff", old, new, "--contract", "acme/chat")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "breaking  object  chat.completion -> chat.completion.v2  "
        + REASONS["enum_outside"].format(allowed="chat.completion"),
        "acme/chat: 1 finding: 1 breaking",
    ]


def test_raw_event_stream_bodies_are_compared(run: Run, sample: Path) -> None:
    chunk = '{"id":"c1","object":"chat.completion.chunk","choices":[{"delta":{}}]}'
    old = write(sample / "old.txt", f"data: {chunk}\n\ndata: [DONE]\n\n".encode())
    new = write(sample / "new.txt", f"data: {chunk}\n\n".encode())
    result = run("diff", old, new, "--contract", "acme/chat_stream")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"breaking  stream.terminator  [DONE] -> absent  {REASONS['terminator_lost']}",
        "acme/chat_stream: 1 finding: 1 breaking",
    ]


def test_a_body_root_change_is_shown_as_the_body(run: Run, sample: Path) -> None:
    old = write(sample / "old.json", {"a": 1})
    new = write(sample / "new.json", [1])
    assert (
        run("diff", old, new).stdout.splitlines()[0].startswith("risky     (body)  object -> array")
    )


def test_the_json_format_carries_every_finding(run: Run, sample: Path) -> None:
    new = scratch(sample, drifted(sample))
    result = run("diff", "cassettes/acme/chat.json", new, "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert doc["contract"] == "acme/chat"
    assert doc["worst"] == "breaking"
    assert doc["summary"] == {"breaking": 1, "risky": 0, "additive": 1, "noise": 0}
    assert [f["path"] for f in doc["findings"]] == ["choices[].finish_reason", "provider"]
    assert set(doc["findings"][0]) == {"path", "change", "old", "new", "severity", "reason"}


# --- bad input: one line, exit 2, no traceback ------------------------------------------------

BAD_INPUT = [
    (
        "a missing file",
        lambda s: ("missing.json", "cassettes/acme/chat.json"),
        "error: missing.json: cannot read (No such file or directory); check the path and its permissions",
    ),
    (
        "a file that is not a recording",
        lambda s: (write(s / "notes.json", b"hello, not JSON"), "cassettes/acme/chat.json"),
        "error: " + NOT_A_RECORDING.format(where="notes.json"),
    ),
    (
        "an empty file",
        lambda s: ("cassettes/acme/chat.json", write(s / "empty.json", b"  \n")),
        "error: empty.json: the file is empty; give a cassette or a response body",
    ),
    (
        "a binary file",
        lambda s: ("cassettes/acme/chat.json", write(s / "blob.bin", b"\xff\xfe\x00")),
        "error: blob.bin: binary data, not a text response body; give the body as the provider sent it",
    ),
    (
        "a cassette and a body",
        lambda s: ("cassettes/acme/chat.json", write(s / "body.json", {"id": "x"})),
        "error: " + MIXED.format(cassette="cassettes/acme/chat.json", body="body.json"),
    ),
    (
        "a cassette without interactions",
        lambda s: ("cassettes/acme/chat.json", write(s / "void.json", {"interactions": []})),
        "error: void.json: the cassette has no interactions; re-record it with "
        "`contracts record`, or restore it from git",
    ),
    (
        "cassettes of two endpoints",
        lambda s: ("cassettes/acme/chat.json", "cassettes/acme/chat_stream.json"),
        "error: cassettes/acme/chat.json is a cassette of acme/chat but "
        "cassettes/acme/chat_stream.json one of acme/chat_stream; pass --contract to say "
        "which contract reads them",
    ),
]


@pytest.mark.parametrize(
    ("paths", "message"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_one_line_and_exit_2(
    run: Run, sample: Path, paths: Callable[[Path], tuple[str, str]], message: str
) -> None:
    result = run("diff", *paths(sample))
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""


def test_an_unknown_contract_is_named_with_a_suggestion(run: Run) -> None:
    result = run("diff", "cassettes/acme/chat.json", "cassettes/acme/chat.json",
                 "--contract", "acme/chats")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown endpoint 'acme/chats' (did you mean 'acme/chat'?); "
        "`contracts list` shows them all\n"
    )


def test_diff_writes_nothing(run: Run, sample: Path) -> None:
    new = scratch(sample, drifted(sample))
    before = {path: path.read_bytes() for path in sample.rglob("*") if path.is_file()}
    assert run("diff", "cassettes/acme/chat.json", new).exit_code == 1
    assert {path: path.read_bytes() for path in sample.rglob("*") if path.is_file()} == before
