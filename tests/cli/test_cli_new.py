"""`contracts new` in-process: a provider added to a copy of the repository's contracts
verifies on OpenAI's cassettes (their URIs rewritten), and on cassettes recorded from a
replay server on 127.0.0.1, and lints clean; bad input is one line, exit 2, and nothing
written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from provider_contracts.cli import cli
from provider_contracts.cli.new import ONLY_OPENAI_COMPATIBLE
from provider_contracts.contract.registry import Registry
from provider_contracts.replay.server import ReplayServer
from provider_contracts.scaffold import ALREADY_EXISTS, BAD_BASE_URL, BAD_KEY_ENV, BAD_NAME
from support.paths import REPO as _REPO

REPO = _REPO
BASE_URL = "https://llm.acme.dev/v1"
NEW = ("new", "acme", "--openai-compatible", "--base-url", BASE_URL, "--key-env", "ACME_API_KEY")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's shared shapes and OpenAI contracts and cassettes.

    Only what this test needs, so that work in progress on other providers cannot
    break it.
    """
    root = tmp_path / "project"
    shutil.copytree(REPO / "contracts" / "_shared", root / "contracts" / "_shared")
    shutil.copytree(REPO / "contracts" / "openai", root / "contracts" / "openai")
    shutil.copytree(REPO / "cassettes" / "openai", root / "cassettes" / "openai")
    return root


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(project), *args], prog_name="contracts")


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_openai_cassettes(project: Path, provider: str, base_url: str) -> None:
    """OpenAI's cassettes as the new provider's, every request URI moved to its base URL."""
    target = project / "cassettes" / provider
    target.mkdir(parents=True)
    for path in (project / "cassettes" / "openai").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for item in doc["interactions"]:
            uri = item["request"]["uri"]
            assert uri.startswith("https://api.openai.com/v1/")
            item["request"]["uri"] = base_url + uri.removeprefix("https://api.openai.com/v1")
        (target / path.name).write_text(json.dumps(doc, indent=2), encoding="utf-8")


def test_new_writes_the_provider_and_says_what_to_do_next(project: Path) -> None:
    result = run(project, *NEW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    created = [line for line in lines if line.startswith("created ")]
    assert len(created) == 8
    assert created[0] == f"created {project / 'contracts' / 'acme' / 'provider.yaml'}"
    assert "  2. contracts record acme   (makes its cassettes; needs ACME_API_KEY)" in lines
    assert lines[-1] == "  3. contracts verify acme"
    assert result.stderr == ""


def test_the_probe_model_step_is_left_out_when_a_model_is_given(project: Path) -> None:
    result = run(project, *NEW, "--model", "acme-mini")
    assert result.exit_code == 0, result.output
    assert "CHANGE-ME" not in result.stdout
    assert result.stdout.splitlines()[-2:] == [
        "  1. contracts record acme   (makes its cassettes; needs ACME_API_KEY)",
        "  2. contracts verify acme",
    ]


def test_lint_says_the_new_endpoints_have_no_cassette_yet(project: Path) -> None:
    assert run(project, *NEW).exit_code == 0
    result = run(project, "lint")
    assert result.exit_code == 1
    problems = result.stdout.splitlines()[:-1]
    assert problems == [
        f"{project / 'contracts/acme/endpoints' / name}.yaml: acme/{name} has no cassette; "
        f"record one with `contracts record acme --endpoint {name}`"
        for name in ("chat_completions", "chat_completions_stream", "models")
    ]
    assert result.stdout.splitlines()[-1] == "2 providers, 6 endpoints: 3 problems"


def test_verify_says_the_cassettes_are_missing_before_they_are_recorded(project: Path) -> None:
    assert run(project, *NEW).exit_code == 0
    result = run(project, "verify", "acme")
    assert result.exit_code == 2
    assert result.stdout.count("MISS acme/") == 3


def test_the_new_provider_verifies_on_openais_cassettes_and_lints_clean(project: Path) -> None:
    assert run(project, *NEW).exit_code == 0
    copy_openai_cassettes(project, "acme", BASE_URL)
    verified = run(project, "verify", "acme")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines()[-1] == (
        "acme: 3 endpoints, 10 interactions, 0 violations: everything holds"
    )
    linted = run(project, "lint")
    assert linted.exit_code == 0, linted.output
    assert linted.stdout == "2 providers, 6 endpoints: all good\n"


def test_recorded_from_a_server_on_loopback_the_new_provider_verifies(
    project: Path, tmp_path: Path
) -> None:
    # The "provider": OpenAI's cassettes served on 127.0.0.1 from a copy of their own.
    provider_side = tmp_path / "provider"
    shutil.copytree(project, provider_side)
    openai = Registry.load(provider_side / "contracts").provider("openai")
    key = "acme-" + "0123456789abcdef" * 3
    with ReplayServer([openai], provider_side / "cassettes") as server:
        base_url = server.base_url("openai")
        assert base_url.startswith("http://127.0.0.1:")
        created = run(project, "new", "acme", *NEW[2:4], base_url, *NEW[5:], "--model", "gpt-4o")
        assert created.exit_code == 0, created.output
        recorded = CliRunner().invoke(
            cli,
            ["--root", str(project), "record", "acme", "--retries", "0", "--timeout", "5"],
            env={"ACME_API_KEY": key},
            prog_name="contracts",
        )
        assert recorded.exit_code == 0, recorded.output
        calls = [(e.method, e.path) for e in server.exchanges]
    assert sorted(calls) == sorted(
        [("POST", "/v1/chat/completions"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models")]
    ), calls
    written = sorted(p.name for p in (project / "cassettes" / "acme").iterdir())
    assert written == ["chat_completions.json", "chat_completions_stream.json", "models.json"]
    assert run(project, "verify", "acme").exit_code == 0
    assert run(project, "lint").exit_code == 0
    assert key not in recorded.output
    assert all(key.encode() not in p.read_bytes() for p in (project / "cassettes").rglob("*.json"))


def test_the_new_provider_fails_on_a_body_that_breaks_the_shared_shapes(project: Path) -> None:
    assert run(project, *NEW).exit_code == 0
    copy_openai_cassettes(project, "acme", BASE_URL)
    path = project / "cassettes" / "acme" / "chat_completions.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["interactions"][0]["response"]["body"]["json"]["choices"][0]["message"]["role"] = "robot"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run(project, "verify", "acme")
    assert result.exit_code == 1
    assert "FAIL acme/chat_completions" in result.stdout
    assert "/choices/0/message/role" in result.stdout


def test_an_existing_provider_is_refused_and_not_touched(project: Path) -> None:
    before = tree(project)
    result = run(project, "new", "openai", *NEW[2:])
    assert result.exit_code == 2
    folder = project / "contracts" / "openai"
    assert result.stderr == f"error: {ALREADY_EXISTS.format(where=folder)}\n"
    assert tree(project) == before


REFUSED = [
    pytest.param(
        ("new", "Acme", *NEW[2:]),
        "Invalid value for 'PROVIDER': " + BAD_NAME.format(value="Acme"),
        id="a name with a capital",
    ),
    pytest.param(
        ("new", "acme/x", *NEW[2:]),
        "Invalid value for 'PROVIDER': " + BAD_NAME.format(value="acme/x"),
        id="a name with a slash",
    ),
    pytest.param(
        (*NEW[:4], "ftp://llm.acme.dev", *NEW[5:]),
        "Invalid value for '--base-url': " + BAD_BASE_URL.format(value="ftp://llm.acme.dev"),
        id="a base URL that is not http(s)",
    ),
    pytest.param(
        (*NEW[:6], "acme_api_key"),
        "Invalid value for '--key-env': " + BAD_KEY_ENV.format(value="acme_api_key"),
        id="a key variable that is not UPPER_SNAKE",
    ),
    pytest.param(
        ("new", "acme", *NEW[3:]),
        ONLY_OPENAI_COMPATIBLE,
        id="without --openai-compatible",
    ),
    pytest.param(
        ("new", "acme", "--openai-compatible", "--key-env", "ACME_API_KEY"),
        "Missing option '--base-url'.",
        id="without --base-url",
    ),
    pytest.param(
        (*NEW, "--auth-header", "x api key"),
        "Invalid value for '--auth-header': 'x api key' is not an HTTP header name",
        id="a header name with spaces",
    ),
]


@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    before = tree(project)
    result = run(project, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.endswith("(see `contracts new --help`)\n")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stdout == ""
    assert tree(project) == before


def test_a_bare_key_header_is_written_without_a_scheme(project: Path) -> None:
    args = (*NEW, "--auth-header", "x-api-key", "--auth-scheme", "", "--title", "Acme LLM")
    assert run(project, *args).exit_code == 0
    provider = Registry.load(project / "contracts").provider("acme")
    assert (provider.auth.header, provider.auth.scheme, provider.title) == (
        "x-api-key",
        None,
        "Acme LLM",
    )


def test_help_shows_an_example(project: Path) -> None:
    result = run(project, "new", "--help")
    assert result.exit_code == 0
    assert "contracts new together --openai-compatible" in result.stdout
    assert "--key-env VAR" in result.stdout
