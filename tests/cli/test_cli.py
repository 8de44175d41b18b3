"""The command line in-process: exit codes and the lines a user reads."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from provider_contracts.files import MAX_INPUT

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
    assert "MISS beta/messages_stream  no cassette" in result.stdout
    assert "not verified" not in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and line.endswith(
        "cassettes/beta/messages_stream.json does not exist; record it with "
        "`contracts record beta --endpoint messages_stream`"
    )


def test_verify_says_a_folder_in_place_of_a_cassette_is_a_folder(run: Run, sample: Path) -> None:
    path = sample / "cassettes" / "beta" / "messages_stream.json"
    path.unlink()
    path.mkdir()
    result = run("verify", "beta")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "cassettes/beta/messages_stream.json is a folder, not a cassette file; remove" in line


def test_check_finds_a_stream_cut_short_a_violation_as_verify_does(
    run: Run, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.sse"
    cut.write_text(STREAM[:30])
    result = run("check", "acme/chat_stream", str(cut))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"FAIL acme/chat_stream: {cut} (status 200), ")
    assert "the stream ends mid-event (no blank line after its last event): truncated" in (
        result.stdout
    )
    assert result.stderr == ""


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
    text = run("lint")
    assert text.stdout.splitlines()[-1] == "2 providers, 3 endpoints: 1 problem"


def test_lint_warns_of_a_cassette_older_than_its_providers_max_age(run: Run, sample: Path) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text() + "max_age: 1d\n")  # the cassettes say 2026-11-22
    result = run("lint")
    assert result.exit_code == 0
    warned = [line for line in result.output.splitlines() if line.startswith("warn  ")]
    assert len(warned) == 2  # acme/chat and acme/chat_stream; beta has no max_age
    assert "acme/chat.json: recorded 2026-11-22 (" in warned[0]
    assert "older than acme's max_age of 1d; record it again with " in warned[0]
    assert "`contracts record acme --endpoint chat`" in warned[0]
    assert json.loads(run("lint", "--format", "json").output)["stale"] == [
        w.removeprefix("warn  ") for w in warned
    ]


def test_lint_is_quiet_about_a_cassette_younger_than_its_max_age(run: Run, sample: Path) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text() + "max_age: 36500d\n")
    assert run("lint").output == "2 providers, 3 endpoints: all good\n"


def test_list_shows_age_and_provenance(run: Run) -> None:
    result = run("list", "acme")
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("acme/chat ") and "3 interactions" in first
    assert "not live: built from tests/data/sample" in first
    assert "not live, built from tests/data/sample" in run("verify", "acme").output


def test_list_says_a_recording_from_another_base_url_is_not_live(run: Run, sample: Path) -> None:
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["provenance"] = {
        "recorded_live": False,
        "recorded_at": "2026-12-01T03:17:00Z",
        "recorded_from": "http://127.0.0.1:8000/v1",
    }
    path.write_text(json.dumps(doc))
    first = run("list", "acme").output.splitlines()[0]
    assert "not live: recorded from http://127.0.0.1:8000/v1 2026-12-01T03:17:00Z" in first
    assert "recorded live" not in first
    assert (
        "not live, recorded from http://127.0.0.1:8000/v1 (--base-url)"
        in run("verify", "acme").output
    )


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
    # --- sizes: at most one byte past the limit is read
    (
        "check-over-the-limit",
        lambda s: ["check", "acme/chat", _sparse(s / "huge.json", MAX_INPUT + 1)],
        "huge.json: larger than 64 MiB, the most contracts reads as a body",
    ),
    (
        "diff-over-the-limit",
        lambda s: [
            "diff",
            _sparse(s / "huge.json", MAX_INPUT + 1),
            _write(s / "b.json", "{}"),
            "--contract",
            "acme/chat",
        ],
        "huge.json: larger than 64 MiB",
    ),
    (
        "scan-over-the-limit",
        lambda s: ["scan", _sparse(s / "huge.json", MAX_INPUT + 1)],
        "huge.json: larger than 64 MiB",
    ),
    ("scan-dev-zero", lambda s: ["scan", "/dev/zero"], "/dev/zero: larger than 64 MiB"),
    # --- reports write only where they may
    (
        "report-onto-a-cassette",
        lambda s: ["verify", "acme", "--report", f"json:{s}/cassettes/acme/chat.json"],
        "cassettes/acme/chat.json: inside cassettes/, which only `contracts record` and you change",
    ),
    (
        "report-into-contracts",
        lambda s: ["verify", "acme", "--report", f"json:{s}/contracts/acme/r.json"],
        "r.json: inside contracts/",
    ),
    (
        "report-onto-a-folder",
        lambda s: ["verify", "acme", "--report", f"json:{_folder(s / 'out')}"],
        "is a folder; give a file path",
    ),
    (
        "report-path-ending-in-a-slash",
        lambda s: ["verify", "acme", "--report", f"json:{s}/reports/"],
        "reports: is a folder; give a file path, e.g.",
    ),
    (
        "report-through-a-symlink-loop",
        lambda s: ["verify", "acme", "--report", f"json:{_loop(s / 'loop.json')}"],
        "loop.json: cannot write (Too many levels of symbolic links)",
    ),
    (
        "report-onto-a-fifo-nobody-reads",
        lambda s: ["verify", "acme", "--report", f"json:{_fifo(s / 'pipe')}"],
        "pipe: a FIFO that no process reads",
    ),
    (
        "report-onto-a-full-device",
        lambda s: ["verify", "acme", "--report", f"json:{_full(s / 'full')}"],
        "full: cannot write (No space left on device)",
    ),
    (
        "report-under-a-file",
        lambda s: ["verify", "acme", "--report", f"json:{_write(s / 'f', 'x')}/r.json"],
        "f/r.json: cannot write (f is a file, not a folder)",
    ),
    # --- options, checked before anything starts
    *[
        (
            f"{option.strip('-')}-{value}",
            lambda s, option=option, value=value: [
                "verify",
                "acme",
                "--live",
                option,
                value,
            ],
            f"'{option}': '{value}' is not a number of seconds from",
        )
        for option, value in [
            ("--timeout", "nan"),
            ("--deadline", "nan"),
            ("--max-wait", "nan"),
            ("--backoff", "inf"),
            ("--timeout", "1e308"),
            ("--deadline", "-1"),
        ]
    ],
    (
        "alter-retry-after-nan",
        lambda s: ["serve", "--alter", "status:429:nan"],
        "--alter 'status:429:nan': seconds must be a number from 0 to 3600, not 'nan'",
    ),
    (
        "alter-slow-1e308",
        lambda s: ["serve", "--alter", "slow:1e308"],
        "--alter 'slow:1e308': seconds must be a number from 0 to 3600",
    ),
    (
        "alter-unknown-provider",
        lambda s: ["serve", "--alter", "drop:usage@nope/x"],
        "--alter 'drop:usage@nope/x': unknown provider 'nope'",
    ),
    (
        "alter-unknown-endpoint",
        lambda s: ["serve", "--alter", "drop:usage@acme/chatt"],
        "unknown endpoint 'acme/chatt' (did you mean 'acme/chat'?)",
    ),
    (
        "alter-provider-not-served",
        lambda s: ["serve", "acme", "--alter", "drop:usage@beta"],
        "names 'beta', which this server does not serve (acme)",
    ),
    # --- contracts that would be misread
    (
        "manifest-misspelled-key",
        lambda s: [_edit(s / "contracts/acme/provider.yaml", "redact:", "redakt:"), "acme"],
        "provider.yaml: unknown field 'redakt' (did you mean 'redact'?)",
    ),
    (
        "manifest-duplicate-key",
        lambda s: [
            _edit(s / "contracts/acme/provider.yaml", "title:", "base_url: https://x.test\ntitle:"),
            "acme",
        ],
        "provider.yaml:3: key 'base_url' given twice (also line 1); keep one",
    ),
    (
        "endpoint-misspelled-key",
        lambda s: [
            _edit(s / "contracts/acme/endpoints/chat.yaml", "volatile:", "volatil:"),
            "acme",
        ],
        "chat.yaml: unknown field 'volatil' (did you mean 'volatile'?)",
    ),
    (
        "probe-misspelled-key",
        lambda s: [_edit(s / "contracts/acme/endpoints/chat.yaml", "  json:", "  jsn:"), "acme"],
        "chat.yaml: unknown field 'probe.jsn' (did you mean 'probe.json'?)",
    ),
    (
        "probe-too-large",
        lambda s: [
            _edit(
                s / "contracts/acme/endpoints/chat.yaml",
                "max_tokens: 1}",
                "max_tokens: 1, pad: '" + "x" * 70_000 + "'}",
            ),
            "acme",
        ],
        "chat.yaml: field 'probe' is larger than 64 KiB",
    ),
    (
        "anchor-bomb",
        lambda s: [
            _edit(
                s / "contracts/acme/endpoints/chat.yaml",
                "probe:\n",
                "probe:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: [*a, *a, *a, *a, *a, *a]\n",
            ),
            "acme",
        ],
        "chat.yaml:6: a YAML alias (*a); write the value out",
    ),
    (
        "contract-impossible-date",
        lambda s: [
            _edit(s / "contracts/acme/endpoints/chat.yaml", "method:", "date: 2026-13-45\nmethod:"),
            "acme",
        ],
        "chat.yaml:2: '2026-13-45' is not a date",
    ),
    # --- cassettes
    (
        "cassette-symlink-loop",
        lambda s: [_loop(s / "cassettes/acme/chat.json") and "verify", "acme"],
        "chat.json: cannot read (Too many levels of symbolic links)",
    ),
    (
        "cassette-sse-a-string",
        lambda s: [_sse_string(s / "cassettes/acme/chat_stream.json") and "verify", "acme"],
        "chat_stream.json: interaction #0 is malformed (TypeError: `sse` must be a list",
    ),
]


def _sparse(path: Path, size: int) -> str:
    """A file of `size` zero bytes that takes no disk space."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return str(path)


def _edit(path: Path, old: str, new: str) -> str:
    """Change a contract file; returns the command that reads it (`verify`)."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return "verify"


def _loop(path: Path) -> str:
    path.unlink(missing_ok=True)
    path.symlink_to(path)
    return str(path)


def _folder(path: Path) -> str:
    path.mkdir()
    return str(path)


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


def _full(path: Path) -> str:
    """A node of the kernel's full device (/dev/full's numbers): every write fails ENOSPC."""
    import stat

    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return str(path)


def _sse_string(path: Path) -> str:
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["sse"] = "data: {}"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(
    ("make", "expected"), [(m, e) for _, m, e in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_bad_input_is_one_line_and_exit_2(
    run: Run, sample: Path, make: Callable[[Path], list[str]], expected: str
) -> None:
    args = make(sample)
    before = _files(sample)
    result = run(*args[2:], root=Path(args[1])) if args[0] == "--root" else run(*args, input="{}")
    assert _files(sample) == before
    assert result.exit_code == 2, (result.output, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output + result.stderr


def _files(folder: Path) -> dict[Path, bytes | str]:
    """Every entry under a folder: a file's bytes, else what it is (a link, a FIFO, a device)."""
    found: dict[Path, bytes | str] = {}
    for path in folder.rglob("*"):
        if path.is_symlink():
            found[path] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[path] = path.read_bytes()
        elif not path.is_dir():
            found[path] = f"mode {path.lstat().st_mode:o}"
    return found


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


MAIN = "from provider_contracts.cli import main; main()"


@pytest.mark.parametrize("command", [["list"], ["verify", "acme"]], ids=["list", "verify"])
def test_a_reader_that_closed_the_pipe_ends_the_command_quietly_with_0(
    sample: Path, command: list[str]
) -> None:
    """`contracts list | head -1`: the reader is gone before the output is written."""
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", MAIN, "--root", str(sample), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        errors = proc.stderr.read()
    assert (proc.returncode, errors) == (0, b"")


@pytest.mark.parametrize("redirect", ["pipe", "file"])
def test_a_report_to_dev_stdout_is_written_through_beside_the_output(
    sample: Path, tmp_path: Path, redirect: str
) -> None:
    import subprocess
    import sys

    out = tmp_path / "out.txt"
    with out.open("wb") as handle:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from provider_contracts.cli import main; main()",
                "--root",
                str(sample),
                "verify",
                "acme",
                "--report",
                "json:/dev/stdout",
            ],
            stdout=subprocess.PIPE if redirect == "pipe" else handle,
            stderr=subprocess.PIPE,
            check=False,
        )
    printed = (proc.stdout if redirect == "pipe" else out.read_bytes()).decode()
    assert proc.returncode == 0, proc.stderr
    report, _, text = printed.partition("\n}\n")  # the report's closing brace, unindented
    assert json.loads(report + "}")["report_version"] == 1
    assert text.rstrip().endswith("everything holds")
    assert os.path.exists("/dev/stdout")  # still the system's link, not a file


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
