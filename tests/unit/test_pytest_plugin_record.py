"""The plugin's record mode and cassette age policy, with a replay server on 127.0.0.1
standing in for the provider (`CONTRACTS_BASE_URL_ACME` points the plugin at it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from provider_contracts.cassettes.cassette import read
from provider_contracts.pytest_wiring import (
    CASSETTES_ARE_CONTRACTS,
    RECORD_IS_NOT_LIVE,
    RECORD_SOURCE,
)
from provider_contracts.replay.server import ReplayServer
from support.paths import DATA

KEY = "sk-acme-live-key-0123456789"
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
CHAT_TEST = """
import httpx
import pytest

@pytest.mark.contract("acme/chat")
def test_chat(contracts_transport):
    with httpx.Client(base_url="https://api.acme.test/v1", transport=contracts_transport) as client:
        response = client.post("/chat/completions", json={"model": "tiny", "messages": []})
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The sample project, its acme/chat never recorded: every chat request misses."""
    for name in ("contracts", "cassettes"):
        shutil.copytree(DATA / "sample" / name, pytester.path / name)
    (pytester.path / "cassettes" / "acme" / "chat.json").unlink()
    pytester.makepyfile(test_consumer=CHAT_TEST)
    return pytester


def provider(*alter: str) -> ReplayServer:
    """The stand-in provider: the sample's own recordings, served on 127.0.0.1."""
    server = ReplayServer.at(DATA / "sample", ["acme"], alter)
    server.start()
    return server


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    server = provider("echo:Authorization")  # the key comes back in the answer: scrub it
    monkeypatch.setenv("ACME_API_KEY", KEY)
    monkeypatch.setenv("CONTRACTS_BASE_URL_ACME", server.base_url("acme"))
    yield server
    server.stop()


RECORDED = Path("tests/cassettes/acme/chat.json")


def test_by_default_a_request_no_recording_answers_fails_and_nothing_is_sent(
    project: pytest.Pytester, acme: ReplayServer
) -> None:
    result = project.runpytest(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*acme/chat: no cassette to replay*"])
    assert acme.exchanges == []
    assert not (project.path / RECORDED).exists()


def test_record_mode_new_sends_the_request_and_keeps_the_answer_scrubbed(
    project: pytest.Pytester, acme: ReplayServer
) -> None:
    result = project.runpytest(*QUIET, "--contracts-record-mode=new")
    result.assert_outcomes(passed=1)
    assert [e.path for e in acme.exchanges] == ["/v1/chat/completions"]
    text = (project.path / RECORDED).read_text()
    assert KEY not in text
    cassette = read(project.path / RECORDED)
    assert cassette.provenance["source"] == RECORD_SOURCE
    # the replay server stood in for the provider (CONTRACTS_BASE_URL_ACME): not live evidence
    assert cassette.provenance["recorded_live"] is False
    assert cassette.provenance["recorded_from"].startswith("http://127.0.0.1:")
    (interaction,) = cassette.interactions
    assert interaction.request.body.value == {"model": "tiny", "messages": []}
    assert interaction.response.body.value["object"] == "chat.completion"  # type: ignore[index]
    assert interaction.name == "test_consumer.py::test_chat"


def test_what_record_mode_kept_is_replayed_on_the_next_run_without_sending(
    project: pytest.Pytester, acme: ReplayServer
) -> None:
    project.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    acme.stop()
    project.runpytest(*QUIET).assert_outcomes(passed=1)
    project.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    assert len(acme.exchanges) == 1
    assert len(read(project.path / RECORDED).interactions) == 1


TWO_REQUESTS = """
import httpx
import pytest

@pytest.mark.contract("acme/chat")
def test_chat(contracts_transport):
    with httpx.Client(base_url="https://api.acme.test/v1", transport=contracts_transport) as client:
        assert client.post("/chat/completions", json={"n": 1}).status_code == 200
        assert client.post("/chat/completions", json={"n": 2}).status_code == 200
"""


def test_each_request_a_test_sends_is_kept(project: pytest.Pytester, acme: ReplayServer) -> None:
    project.makepyfile(test_consumer=TWO_REQUESTS)
    project.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    recorded = read(project.path / RECORDED).interactions
    assert [i.request.body.value for i in recorded] == [{"n": 1}, {"n": 2}]


def test_the_folder_is_an_option(project: pytest.Pytester, acme: ReplayServer) -> None:
    args = ("--contracts-record-mode=new", "--contracts-cassettes=mine")
    project.runpytest(*QUIET, *args).assert_outcomes(passed=1)
    assert (project.path / "mine" / "acme" / "chat.json").is_file()
    assert not (project.path / RECORDED).exists()


def test_a_missing_key_skips_the_test_and_sends_nothing(
    project: pytest.Pytester, acme: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_API_KEY")
    result = project.runpytest(*QUIET, "--contracts-record-mode=new", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * environment variable ACME_API_KEY is not set; *"])
    assert acme.exchanges == []


def test_an_answer_that_breaks_its_contract_fails_the_test_and_is_not_kept(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = provider("drop:usage")
    monkeypatch.setenv("ACME_API_KEY", KEY)
    monkeypatch.setenv("CONTRACTS_BASE_URL_ACME", server.base_url("acme"))
    try:
        result = project.runpytest(*QUIET, "--contracts-record-mode=new")
    finally:
        server.stop()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*acme/chat: the live answer to POST * breaks its contract*"])
    assert not (project.path / RECORDED).exists()


def test_a_request_the_recordings_answer_is_not_sent(
    pytester: pytest.Pytester, acme: ReplayServer
) -> None:
    for name in ("contracts", "cassettes"):
        shutil.copytree(DATA / "sample" / name, pytester.path / name)
    pytester.makepyfile(test_consumer=CHAT_TEST)
    pytester.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    assert acme.exchanges == []
    assert not (pytester.path / RECORDED).exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--contracts-cassettes=cassettes"], CASSETTES_ARE_CONTRACTS.format(folder="cassettes")),
        (
            ["--contracts-record-mode=new", "--contracts-cassettes=cassettes/acme"],
            CASSETTES_ARE_CONTRACTS.format(folder="cassettes/acme"),
        ),
        (["--contracts-record-mode=new", "--contracts-live"], RECORD_IS_NOT_LIVE),
    ],
    ids=["the-contracts-cassettes", "inside-them", "with-live"],
)
def test_a_bad_record_option_is_one_usage_line(
    project: pytest.Pytester, args: list[str], line: str
) -> None:
    result = project.runpytest(*QUIET, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {line}"])


def test_an_unknown_record_mode_names_the_modes(project: pytest.Pytester) -> None:
    result = project.runpytest(*QUIET, "--contracts-record-mode=all")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'all' (choose from*none*new*)"])


# --- the age policy ------------------------------------------------------------------------

STALE_TEST = """
import httpx
import pytest

@pytest.mark.contract("acme/chat")
@pytest.mark.parametrize("n", [1, 2])
def test_chat(contracts_transport, n):
    with httpx.Client(base_url="https://api.acme.test/v1", transport=contracts_transport) as client:
        assert client.post("/chat/completions", json={}).status_code == 200
"""


@pytest.fixture
def aged(pytester: pytest.Pytester) -> pytest.Pytester:
    """The sample project, acme's cassettes (created 2026-11-22) older than its max_age."""
    for name in ("contracts", "cassettes"):
        shutil.copytree(DATA / "sample" / name, pytester.path / name)
    manifest = pytester.path / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text() + "max_age: 1d\n")
    pytester.makepyfile(test_consumer=STALE_TEST)
    return pytester


def test_a_stale_cassette_is_named_once_at_the_end_of_the_session(aged: pytest.Pytester) -> None:
    result = aged.runpytest(*QUIET)
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "contracts: 1 replayed cassette older than the provider's max_age:",
            "  *cassettes/acme/chat.json: recorded 2026-11-22 (* days ago), older than acme's "
            "max_age of 1d; record it again with `contracts record acme --endpoint chat`",
        ]
    )
    assert result.stdout.str().count("older than acme's max_age") == 1


def test_strict_age_fails_the_session_for_a_stale_cassette(aged: pytest.Pytester) -> None:
    result = aged.runpytest(*QUIET, "--strict-age")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["--strict-age: the session fails for the stale cassettes above"])


def test_a_cassette_within_its_max_age_is_not_named(aged: pytest.Pytester) -> None:
    manifest = aged.path / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text().replace("max_age: 1d", "max_age: 36500d"))
    result = aged.runpytest(*QUIET, "--strict-age")
    assert result.ret == 0
    assert "older than" not in result.stdout.str()


def test_a_stale_cassette_of_the_consumers_own_says_how_to_record_it_again(
    aged: pytest.Pytester,
) -> None:
    own = aged.path / "tests" / "cassettes" / "acme"
    own.mkdir(parents=True)
    shutil.move(aged.path / "cassettes" / "acme" / "chat.json", own / "chat.json")
    result = aged.runpytest(*QUIET)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "  *tests/cassettes/acme/chat.json: recorded 2026-11-22 * delete it and run "
            "`pytest --contracts-record-mode=new` to record it again"
        ]
    )


def test_the_recording_keeps_no_request_header_with_the_key(
    project: pytest.Pytester, acme: ReplayServer
) -> None:
    project.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    doc = orjson.loads((project.path / RECORDED).read_bytes())
    headers = doc["interactions"][0]["request"]["headers"]
    assert not {k.lower() for k in headers} & {"authorization", "cookie"}


ASYNC_TEST = """
import asyncio
import httpx
import pytest

@pytest.mark.contract("acme/chat")
def test_chat(contracts_transport):
    async def call():
        async with httpx.AsyncClient(
            base_url="https://api.acme.test/v1", transport=contracts_transport
        ) as client:
            return await client.post("/chat/completions", json={"model": "tiny"})
    assert asyncio.run(call()).status_code == 200
"""


def test_an_async_client_records_too(project: pytest.Pytester, acme: ReplayServer) -> None:
    project.makepyfile(test_consumer=ASYNC_TEST)
    project.runpytest(*QUIET, "--contracts-record-mode=new").assert_outcomes(passed=1)
    project.runpytest(*QUIET).assert_outcomes(passed=1)
    assert len(acme.exchanges) == 1
    assert read(project.path / RECORDED).interactions[0].request.body.value == {"model": "tiny"}
