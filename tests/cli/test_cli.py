"""The command line in-process: exit codes and the lines a user reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]

CHUNK = {"id": "c", "object": "chat.completion.chunk", "choices": [{"delta": {"content": "x"}}]}
STREAM = f"data: {json.dumps(CHUNK)}\n\ndata: [DONE]\n\n"
OK = {
    "id": "x",
    "object": "chat.completion",
    "usage": {"total_tokens": 1},
    "choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}],
}


DESIGNED = ["check", "diff", "gate", "lint", "list", "new", "record", "scan", "serve", "verify"]


def test_every_designed_command_is_there_with_an_example(run: Run) -> None:
    import click

    from provider_contracts.cli import cli

    assert cli.list_commands(click.Context(cli)) == DESIGNED
    result = run("--help")
    assert result.exit_code == 0
    for name in DESIGNED:
        assert f"  {name}" in result.output
        sub = run(name, "--help")
        assert sub.exit_code == 0
        assert "Example" in sub.output and f"contracts {name}" in sub.output


def test_verify_offline_passes_on_the_sample(run: Run) -> None:
    result = run("verify", "acme", "beta")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "acme, beta: 3 endpoints, 5 interactions, 0 violations: everything holds"
    )
    assert "1 took the error branch under a 2xx status" in result.output


def test_verify_all_in_json(run: Run) -> None:
    result = run("verify", "--all", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["summary"]["endpoints"] == 3


def test_verify_writes_reports(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "r.json"
    result = run(
        "verify", "acme", "--report", f"json:{out}", "--report", f"text:{tmp_path / 'r.txt'}"
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text())["providers"] == ["acme"]
    assert "everything holds" in (tmp_path / "r.txt").read_text()


def test_verify_exits_1_on_a_violation_and_names_it(run: Run, sample: Path) -> None:
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["json"]["choices"][0]["message"]["role"] = "robot"
    path.write_text(json.dumps(doc))
    result = run("verify", "acme")
    assert result.exit_code == 1
    assert "FAIL acme/chat" in result.output
    assert "#0 completion (status 200) at /choices/0/message/role" in result.output


def test_verify_exits_2_when_a_cassette_is_missing(run: Run, sample: Path) -> None:
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    result = run("verify", "beta")
    assert result.exit_code == 2
    assert "MISS beta/messages_stream" in result.output


def test_check_a_matching_body(run: Run, tmp_path: Path) -> None:
    body = tmp_path / "ok.json"
    body.write_text(json.dumps(OK))
    result = run("check", "acme/chat", str(body))
    assert result.exit_code == 0
    assert result.output == f"ok   acme/chat: {body} matches (status 200)\n"


def test_check_reads_stdin_and_reports_the_error_branch(run: Run) -> None:
    result = run("check", "acme/chat", "-", input='{"error": {"code": 500, "message": "x"}}')
    assert result.exit_code == 0
    assert "took the error branch" in result.output


def test_check_a_stream(run: Run) -> None:
    result = run("check", "acme/chat_stream", "-", input=STREAM)
    assert result.exit_code == 0
    assert "(status 200, 2 events)" in result.output


def test_check_reports_every_violation(run: Run) -> None:
    body = {**OK, "id": 1, "object": "x"}
    result = run("check", "acme/chat", "-", input=json.dumps(body))
    assert result.exit_code == 1
    assert "2 violations" in result.output.splitlines()[0]
    assert "at /id" in result.output and "at /object" in result.output


def test_check_status_selects_the_schema(run: Run) -> None:
    result = run("check", "acme/chat", "-", "--status", "429", input=json.dumps(OK))
    assert result.exit_code == 1
    assert '"error" is a required property' in result.output


def test_check_in_json(run: Run) -> None:
    result = run("check", "acme/chat", "-", "--format", "json", input=json.dumps({**OK, "id": 1}))
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["violations"][0]["instance_path"] == "/id"


def test_lint_is_clean_on_the_sample(run: Run) -> None:
    result = run("lint")
    assert result.exit_code == 0
    assert result.output == "2 providers, 3 endpoints: all good\n"


def test_lint_exits_1_and_lists_problems(run: Run, sample: Path) -> None:
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    result = run("lint", "--format", "json")
    assert result.exit_code == 1
    assert "has no cassette" in json.loads(result.output)["findings"][0]["message"]


def test_list_shows_age_and_provenance(run: Run) -> None:
    result = run("list", "acme")
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("acme/chat ") and "3 interactions" in first
    assert "not live: built from tests/data/sample" in first
    assert "not live, built from tests/data/sample" in run("verify", "acme").output


def test_list_in_json(run: Run, sample: Path) -> None:
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    rows = json.loads(run("list", "--format", "json").output)
    assert [r["cassette"] for r in rows] == [True, True, False]
    assert run("list", "beta").output.rstrip().endswith("no cassette")


# --- bad input: exit 2, one line naming the file or option and the fix -----------------


def _write(path: Path, content: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


BAD_INPUTS: list[tuple[str, Callable[[Path], list[str]], str]] = [
    (
        "unknown-provider",
        lambda s: ["verify", "acmee"],
        "unknown provider 'acmee' (did you mean 'acme'?)",
    ),
    ("unknown-endpoint", lambda s: ["verify", "acme/chatt"], "did you mean 'acme/chat'?"),
    ("no-names", lambda s: ["verify"], "name a provider"),
    ("names-and-all", lambda s: ["verify", "acme", "--all"], "not both"),
    (
        "unknown-option",
        lambda s: ["verify", "acme", "--bogus"],
        "No such option '--bogus'. (see `contracts verify --help`)",
    ),
    ("bad-format", lambda s: ["verify", "acme", "--format", "xml"], "'xml' is not one of"),
    ("report-no-path", lambda s: ["verify", "acme", "--report", "json"], "--report"),
    (
        "report-bad-format",
        lambda s: ["verify", "acme", "--report", "pdf:x.pdf"],
        "unknown report format 'pdf'",
    ),
    (
        "no-contracts-folder",
        lambda s: ["--root", str(s / "cassettes"), "verify", "acme"],
        "no contracts/ folder here",
    ),
    (
        "cassette-yaml",
        lambda s: [
            _write(s / "cassettes/acme/chat.json", "interactions: []\n") and "verify",
            "acme",
        ],
        "chat.json: not a JSON cassette",
    ),
    (
        "cassette-empty",
        lambda s: [_write(s / "cassettes/acme/chat.json", "") and "verify", "acme"],
        "chat.json: the cassette is empty",
    ),
    (
        "cassette-no-interactions",
        lambda s: [
            _write(s / "cassettes/acme/chat.json", '{"version": 1, "interactions": []}')
            and "verify",
            "acme",
        ],
        "chat.json: the cassette has no interactions",
    ),
    (
        "cassette-malformed",
        lambda s: [
            _write(s / "cassettes/acme/chat.json", '{"interactions": [{"request": {}}]}')
            and "verify",
            "acme",
        ],
        "chat.json: interaction #0 is malformed",
    ),
    (
        "schema-not-json",
        lambda s: [
            _write(s / "contracts/acme/schemas/error.schema.json", "{oops") and "verify",
            "acme",
        ],
        "error.schema.json: not valid JSON",
    ),
    (
        "schema-invalid",
        lambda s: [
            _write(s / "contracts/acme/schemas/error.schema.json", '{"type": "objectx"}')
            and "verify",
            "acme",
        ],
        "error.schema.json: schema acme/schemas/error.schema.json cannot be used",
    ),
    (
        "dangling-ref",
        lambda s: [
            _write(s / "contracts/acme/schemas/error.schema.json", '{"$ref": "#/$defs/Gone"}')
            and "verify",
            "acme",
        ],
        "Gone",
    ),
    (
        "manifest-missing-field",
        lambda s: [
            _write(s / "contracts/acme/provider.yaml", "title: A\nauth: {env: K, header: H}\n")
            and "verify",
            "acme",
        ],
        "acme/provider.yaml: missing required field 'base_url'",
    ),
    (
        "contract-not-yaml",
        lambda s: [
            _write(s / "contracts/acme/endpoints/chat.yaml", "method: [POST\n") and "verify",
            "acme",
        ],
        "chat.yaml:2: not valid YAML",
    ),
    (
        "check-missing-file",
        lambda s: ["check", "acme/chat", str(s / "nope.json")],
        "nope.json: cannot read",
    ),
    ("check-folder", lambda s: ["check", "acme/chat", str(s)], "cannot read (it is a folder)"),
    (
        "check-empty-file",
        lambda s: ["check", "acme/chat", _write(s / "empty.json", "")],
        "empty.json: the file is empty",
    ),
    (
        "check-non-json",
        lambda s: ["check", "acme/chat", _write(s / "page.html", "<html>502</html>")],
        "page.html: the body is not JSON",
    ),
    (
        "check-binary",
        lambda s: ["check", "acme/chat", _write(s / "body.bin", b"\x89PNG\r\n\x1a\n\x00\x00")],
        "body.bin: binary data",
    ),
    (
        "check-truncated-stream",
        lambda s: ["check", "acme/chat_stream", _write(s / "cut.sse", STREAM[:30])],
        "cut.sse: the stream ends mid-event (truncated)",
    ),
    (
        "check-stream-for-json",
        lambda s: ["check", "acme/chat", _write(s / "s.sse", STREAM)],
        "s.sse: an event stream, but acme/chat answers",
    ),
    (
        "check-text-for-stream",
        lambda s: ["check", "acme/chat_stream", _write(s / "t.txt", "hello")],
        "t.txt: the body is neither JSON nor an event stream",
    ),
    ("check-bad-status", lambda s: ["check", "acme/chat", "-", "--status", "42"], "--status"),
    ("check-unknown-endpoint", lambda s: ["check", "acme", "-"], "unknown endpoint 'acme'"),
]


@pytest.mark.parametrize(
    ("make", "expected"), [(m, e) for _, m, e in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_bad_input_is_one_line_and_exit_2(
    run: Run, sample: Path, make: Callable[[Path], list[str]], expected: str
) -> None:
    args = make(sample)
    result = run(*args[2:], root=Path(args[1])) if args[0] == "--root" else run(*args, input="{}")
    assert result.exit_code == 2, (result.output, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output + result.stderr


def test_bad_input_overwrites_nothing(run: Run, sample: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("previous")
    _write(sample / "cassettes/acme/chat.json", "")
    before = {p: p.read_bytes() for p in sample.rglob("*") if p.is_file()}
    result = run("verify", "acme", "--report", f"json:{report}")
    assert result.exit_code == 2
    assert report.read_text() == "previous"
    assert {p: p.read_bytes() for p in sample.rglob("*") if p.is_file()} == before


def test_the_console_script_maps_errors_to_exit_codes(sample: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from provider_contracts.cli import main; main()",
            "--root",
            str(sample),
            "verify",
            "nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown provider 'nope'")


def test_check_applies_header_contracts_only_to_given_headers(run: Run) -> None:
    missing = run(
        "check",
        "acme/chat",
        "-",
        "--header",
        "Content-Type: application/json",
        input=json.dumps(OK),
    )
    assert missing.exit_code == 1 and '"x-request-id" is a required property' in missing.output
    given = run("check", "acme/chat", "-", "--header", "X-Request-Id: req_9", input=json.dumps(OK))
    assert given.exit_code == 0


def test_check_refuses_a_malformed_header(run: Run) -> None:
    result = run("check", "acme/chat", "-", "--header", "nocolon", input=json.dumps(OK))
    assert result.exit_code == 2 and "--header" in result.stderr
