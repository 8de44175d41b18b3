"""`contracts scan [PATH...]`: secrets in cassettes, reported masked; exit codes for pre-commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from provider_contracts.cli.scan import NO_CASSETTES, NO_SUCH_PATH

Run = Callable[..., Result]

OPENROUTER_KEY = "sk-or-v1-" + "0123456789abcdef" * 4
SECRETS = {
    "openrouter key": OPENROUTER_KEY,
    "anthropic key": "sk-ant-api03-" + "Ab1_-" * 18 + "AA",
    "stripe secret key": "sk_live_51H8XqKLkdIwHu7ixSECRETabcdef",
    "stripe webhook secret": "whsec_5Tq9cRmJd1xZk2LwP8vN3bYh6GfA0sEu",
    "stripe client secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
}


@pytest.fixture(autouse=True)
def inside(sample: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(sample)
    return sample


def leak(sample: Path, secret: str, name: str = "acme/chat") -> int:
    """Put `secret` in a request header of a cassette; the line it lands on."""
    path = sample / "cassettes" / f"{name}.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["request"]["headers"]["X-Debug"] = [f"key {secret}"]
    text = json.dumps(doc, indent=2, sort_keys=True)
    path.write_text(text)
    return next(n for n, line in enumerate(text.splitlines(), 1) if secret in line)


def test_clean_cassettes_exit_0(run: Run) -> None:
    result = run("scan")
    assert result.exit_code == 0
    assert result.stdout == "no secrets in 3 files\n"


def test_a_secret_exits_1_with_its_file_line_and_kind(run: Run, sample: Path) -> None:
    line = leak(sample, OPENROUTER_KEY)
    result = run("scan")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f'cassettes/acme/chat.json:{line}: openrouter key: "key sk-or-v1-****"',
        "1 secret in 1 of 3 files: remove them (re-record with `contracts record`, which "
        "scrubs before writing) and revoke every exposed key",
    ]


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_the_secret_itself_is_never_printed(run: Run, sample: Path, kind: str) -> None:
    secret = SECRETS[kind]
    leak(sample, secret)
    for fmt in ("text", "json"):
        result = run("scan", "--format", fmt)
        assert result.exit_code == 1
        assert kind in result.stdout
        assert secret not in result.stdout + result.stderr
        assert secret[12:] not in result.stdout  # not even its tail


def test_file_names_are_scanned_as_pre_commit_passes_them(run: Run, sample: Path) -> None:
    leak(sample, OPENROUTER_KEY, "acme/chat")
    clean = run("scan", "cassettes/acme/chat_stream.json", "cassettes/beta/messages_stream.json")
    dirty = run("scan", "cassettes/acme/chat_stream.json", "cassettes/acme/chat.json")
    assert (clean.exit_code, clean.stdout) == (0, "no secrets in 2 files\n")
    assert dirty.exit_code == 1
    one = run("scan", "cassettes/beta/messages_stream.json")
    assert (one.exit_code, one.stdout) == (0, "no secrets in 1 file\n")


def test_a_folder_is_scanned_whole(run: Run, sample: Path) -> None:
    leak(sample, OPENROUTER_KEY, "acme/chat_stream")
    assert run("scan", "cassettes/beta").exit_code == 0
    assert run("scan", "cassettes/acme").exit_code == 1


def test_hidden_files_are_not_scanned(run: Run, sample: Path) -> None:
    (sample / "cassettes" / "acme" / ".chat.json.tmp").write_text(OPENROUTER_KEY)
    assert run("scan").exit_code == 0


def test_names_the_manifests_redact_are_looked_for(run: Run, sample: Path) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text().replace("headers: [Authorization]",
                                                     "headers: [Authorization, X-Session]"))  # fmt: skip
    path = sample / "cassettes" / "acme" / "chat.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["request"]["headers"]["X-Session"] = ["opaque"]
    path.write_text(json.dumps(doc, indent=2))
    result = run("scan")
    assert result.exit_code == 1
    assert "secret field x-session" in result.stdout
    assert "opaque" not in result.stdout


def test_a_broken_manifest_does_not_stop_the_scan(run: Run, sample: Path) -> None:
    (sample / "contracts" / "acme" / "provider.yaml").write_text("title: [unclosed\n")
    assert run("scan").exit_code == 0


def test_the_json_format_lists_every_hit(run: Run, sample: Path) -> None:
    line = leak(sample, OPENROUTER_KEY)
    doc = json.loads(run("scan", "--format", "json").stdout)
    assert doc == {
        "files": 3,
        "secrets": [
            {
                "file": "cassettes/acme/chat.json",
                "line": line,
                "kind": "openrouter key",
                "excerpt": '"key sk-or-v1-****"',
            }
        ],
    }


def test_a_missing_path_is_one_line_and_exit_2(run: Run) -> None:
    result = run("scan", "cassettes/acme/nope.json")
    assert result.exit_code == 2
    assert result.stderr == "error: " + NO_SUCH_PATH.format(where="cassettes/acme/nope.json") + "\n"
    assert result.stdout == ""


def test_no_cassettes_folder_is_one_line_and_exit_2(run: Run, sample: Path) -> None:
    empty = sample / "elsewhere"
    empty.mkdir()
    result = run("scan", root=empty)
    assert result.exit_code == 2
    assert result.stderr == "error: " + NO_CASSETTES.format(where="elsewhere/cassettes") + "\n"
