"""`contracts record` against the replay server on 127.0.0.1: what is written, and what never is.

Every provider answer here comes from a real HTTP server on loopback (`contracts serve`'s
engine) over the real contracts and cassettes, altered to simulate drift and outages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from provider_contracts.cassettes.cassette import read
from provider_contracts.cli import cli
from provider_contracts.errors import MISSING_CREDENTIAL
from provider_contracts.live.credentials import LIVE_STRIPE_KEY
from provider_contracts.replay.server import ReplayServer
from support.live import (
    FAKE_OPENROUTER_KEY,
    FAKE_STRIPE_KEY,
    make_project,
    point_at,
    server_for,
    snapshot,
)

FAST = ("--retries", "2", "--backoff", "0.01", "--timeout", "0.5", "--deadline", "5")
OPENROUTER_ENV = {"OPENROUTER_API_KEY": FAKE_OPENROUTER_KEY}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", "openrouter", "stripe")


@pytest.fixture
def provider_side(tmp_path: Path) -> Path:
    """The cassettes the 'provider' answers from: a copy, so the project's own can change."""
    return make_project(tmp_path / "provider", "openrouter", "stripe")


@pytest.fixture
def server(provider_side: Path) -> Iterator[ReplayServer]:
    with server_for(provider_side, "openrouter", "stripe") as running:
        yield running


def record(
    root: Path,
    server: ReplayServer,
    *args: str,
    provider: str = "openrouter",
    env: dict[str, str | None] | None = None,
) -> Result:
    point_at(root, server, provider)  # the server is the provider: these calls are live
    runner = CliRunner()
    return runner.invoke(
        cli,
        ["--root", str(root), "record", provider, *FAST, *args],
        env=env if env is not None else OPENROUTER_ENV,
        prog_name="contracts",
    )


def alter(server: ReplayServer, *specs: str) -> None:
    from provider_contracts.replay.alterations import parse

    server.alterations = [parse(spec) for spec in specs]


# --- a recording that succeeds ------------------------------------------------------------------


def test_recording_replaces_each_cassette_with_the_fresh_answer(
    root: Path, server: ReplayServer
) -> None:
    result = record(root, server)
    assert result.exit_code == 0, result.output
    written = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    names = [
        "chat_completions",
        "chat_completions_stream",
        "credits",
        "generation",
        "key",
        "models",
    ]
    assert sorted(Path(line).stem for line in written) == names
    for name in names:
        cassette = read(root / "cassettes" / "openrouter" / f"{name}.json")
        assert len(cassette.interactions) == 1
        assert cassette.interactions[0].request.uri.startswith(server.url + "/api/v1/")


def test_a_recording_says_where_and_when_it_was_made(root: Path, server: ReplayServer) -> None:
    record(root, server, "--endpoint", "key")
    provenance = read(root / "cassettes" / "openrouter" / "key.json").provenance
    assert provenance["recorded_live"] is True
    assert provenance["base_url"] == server.base_url("openrouter")
    assert provenance["recorded_at"].endswith("Z")
    assert "api_version" in provenance


def test_a_base_url_other_than_the_manifests_never_replaces_a_committed_cassette(
    root: Path, server: ReplayServer
) -> None:
    before = snapshot(root / "cassettes")
    result = CliRunner().invoke(
        cli,
        ["--root", str(root), "record", "openrouter", "--base-url", server.base_url("openrouter")],
        env=OPENROUTER_ENV,
        prog_name="contracts",
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "must not replace the committed cassettes; add --scratch DIR" in result.stderr
    assert server.exchanges == []
    assert snapshot(root / "cassettes") == before


def test_a_recording_from_another_base_url_goes_to_scratch_and_is_not_live(
    root: Path, server: ReplayServer, tmp_path: Path
) -> None:
    before = snapshot(root / "cassettes")
    url = server.base_url("openrouter")
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(root),
            "record",
            "openrouter",
            "--endpoint",
            "key",
            "--base-url",
            url,
            "--scratch",
            str(tmp_path / "rec"),
            *FAST,
        ],
        env=OPENROUTER_ENV,
        prog_name="contracts",
    )
    assert result.exit_code == 0, result.output
    assert snapshot(root / "cassettes") == before
    provenance = read(tmp_path / "rec" / "openrouter" / "key.json").provenance
    assert provenance["recorded_live"] is False
    assert provenance["recorded_from"] == url
    assert "base_url" not in provenance


def test_only_the_named_endpoint_is_called_and_written(root: Path, server: ReplayServer) -> None:
    before = snapshot(root / "cassettes")
    result = record(root, server, "--endpoint", "models")
    after = snapshot(root / "cassettes")
    assert result.exit_code == 0, result.output
    assert [e.endpoint for e in server.exchanges] == ["openrouter/models"]
    assert {k for k in after if after[k] != before[k]} == {"openrouter/models.json"}


def test_the_recorded_stream_is_stored_as_event_lines(root: Path, server: ReplayServer) -> None:
    record(root, server, "--endpoint", "chat_completions_stream")
    stored = orjson.loads((root / "cassettes/openrouter/chat_completions_stream.json").read_bytes())
    body = stored["interactions"][0]["response"]["body"]
    assert "data: [DONE]" in body["sse"]


def test_drift_is_printed(root: Path, server: ReplayServer) -> None:
    alter(server, 'add:choices[].message.mood="calm"')
    result = record(root, server, "--endpoint", "chat_completions")
    assert result.exit_code == 0, result.output
    assert (
        "additive choices[].message.mood: added (absent -> present); a new field" in result.stdout
    )


def test_a_breaking_answer_is_written_and_flagged(root: Path, server: ReplayServer) -> None:
    alter(server, "drop:choices")
    result = record(root, server, "--endpoint", "chat_completions")
    assert result.exit_code == 1
    assert "FAIL openrouter/chat_completions" in result.stdout
    assert "breaking choices: removed" in result.stdout
    assert "review before committing" in result.stdout
    body = read(root / "cassettes/openrouter/chat_completions.json").interactions[0].response.body
    assert "choices" not in body.value


def test_a_retrieve_endpoint_takes_the_id_from_the_fresh_create(
    root: Path, provider_side: Path, server: ReplayServer
) -> None:
    before = snapshot(root / "cassettes")
    result = record(
        root,
        server,
        "--endpoint",
        "checkout_session_retrieve",
        provider="stripe",
        env={"STRIPE_API_KEY": FAKE_STRIPE_KEY},
    )
    assert result.exit_code == 0, result.output
    answered = read(provider_side / "cassettes/stripe/checkout_session_create.json")
    fresh_id = answered.interactions[0].response.body.value["id"]
    assert [(e.method, e.path) for e in server.exchanges] == [
        ("POST", "/v1/checkout/sessions"),
        ("GET", f"/v1/checkout/sessions/{fresh_id}"),
    ]
    after = snapshot(root / "cassettes")
    assert {k for k in after if after[k] != before[k]} == {"stripe/checkout_session_retrieve.json"}


def test_the_whole_stripe_provider_records_through_the_sdk(
    root: Path, server: ReplayServer
) -> None:
    result = record(root, server, provider="stripe", env={"STRIPE_API_KEY": FAKE_STRIPE_KEY})
    assert result.exit_code == 0, result.output
    assert len(server.exchanges) == 7
    event = read(root / "cassettes/stripe/event_retrieve.json").interactions[0]
    assert event.request.uri.endswith("/v1/events/" + "evt_1Pgc76B7WZ01zgkWwyRHS12y")


# --- dry run and bad input ---------------------------------------------------------------------


def test_dry_run_lists_the_calls_and_their_cost_and_makes_none(
    root: Path, server: ReplayServer
) -> None:
    result = record(root, server, "--dry-run", env={})
    assert result.exit_code == 0, result.output
    assert server.exchanges == []
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("openrouter/chat_completions ") and "~$0.00001" in line for line in lines
    )
    assert lines[-1] == (
        "6 calls, estimated cost $0.00002; none made (--dry-run); "
        "OPENROUTER_API_KEY is not set: export it before recording"
    )


def test_a_dry_run_of_one_call_counts_it_in_the_singular(root: Path, server: ReplayServer) -> None:
    result = record(root, server, "--dry-run", "--endpoint", "models", env={})
    assert result.stdout.splitlines()[-1].startswith("1 call, estimated cost ")


def test_dry_run_shows_the_ids_a_call_needs(root: Path, server: ReplayServer) -> None:
    result = record(root, server, "--dry-run", "--endpoint", "event_retrieve", provider="stripe")
    assert "(id from events_list)" in result.stdout
    assert "[needed by a later call]" in result.stdout


def test_a_missing_key_names_the_variable_and_calls_nothing(
    root: Path, server: ReplayServer
) -> None:
    before = snapshot(root / "cassettes")
    result = record(root, server, env={"OPENROUTER_API_KEY": None})
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + MISSING_CREDENTIAL.format(
        var="OPENROUTER_API_KEY", provider="OpenRouter"
    )
    assert server.exchanges == []
    assert snapshot(root / "cassettes") == before


def test_a_stripe_live_key_is_refused_before_any_call(root: Path, server: ReplayServer) -> None:
    result = record(root, server, provider="stripe", env={"STRIPE_API_KEY": "sk_live_abc"})
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + LIVE_STRIPE_KEY.format(var="STRIPE_API_KEY")
    assert server.exchanges == []


def test_a_refused_key_is_bad_input(root: Path, server: ReplayServer) -> None:
    alter(server, "status:401")
    before = snapshot(root / "cassettes")
    result = record(root, server, "--endpoint", "key")
    assert result.exit_code == 2
    assert "the key in OPENROUTER_API_KEY was refused (HTTP 401)" in result.stderr
    assert snapshot(root / "cassettes") == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "nope"], "unknown endpoint 'openrouter/nope'"),
        (["--base-url", "ftp://x"], "'ftp://x' is not an http:// or https:// URL"),
        (
            ["--base-url", "stripe=http://127.0.0.1:1"],
            "names 'stripe', which this run does not call",
        ),
        (["--retries", "-1"], "--retries"),
    ],
    ids=["unknown-endpoint", "not-http", "other-provider", "negative-retries"],
)
def test_bad_options_are_one_line_and_exit_2(root: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["--root", str(root), "record", "openrouter", *args],
        env=OPENROUTER_ENV,
        prog_name="contracts",
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- faults: retried, then exit 3 with the cassettes untouched -----------------------------------


def test_429_then_200_is_retried_and_recorded(root: Path, server: ReplayServer) -> None:
    alter(server, "status:429:0.01*1")
    result = record(root, server, "--endpoint", "key")
    assert result.exit_code == 0, result.output
    assert "openrouter/key: HTTP 429; retry 1 of 2 in 0.01s" in result.stderr
    assert [e.status for e in server.exchanges] == [429, 200]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("status:500", "HTTP 500"),
        ("hang", "timed out"),
        ("reset", "the connection was reset or closed early"),
        ("cut:1", "the stream was cut short"),
    ],
    ids=["endless-500", "hung-connection", "connection-reset", "stream-cut-short"],
)
def test_a_provider_that_keeps_failing_is_exit_3_and_nothing_is_written(
    root: Path, server: ReplayServer, spec: str, reason: str
) -> None:
    alter(server, f"{spec}@openrouter/chat_completions_stream")
    before = snapshot(root / "cassettes")
    started = time.monotonic()
    result = record(root, server, "--endpoint", "chat_completions_stream", "--endpoint", "key")
    assert result.exit_code == 3
    endpoint = "openrouter/chat_completions_stream"
    assert f"SKIP {endpoint}  could not verify: {reason}" in result.stdout
    assert "ok   openrouter/key" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        "error: could not verify openrouter: 1 of 2 calls got no usable answer; "
        "nothing was written, the committed cassettes are unchanged"
    )
    assert snapshot(root / "cassettes") == before
    assert time.monotonic() - started < 5


# --- secrets ---------------------------------------------------------------------------------


def test_the_key_reaches_no_cassette_and_no_output(root: Path, server: ReplayServer) -> None:
    alter(server, "echo:Authorization")
    result = record(root, server)
    assert result.exit_code == 0, result.output
    echoed = read(root / "cassettes/openrouter/key.json").interactions[0].response
    assert "echo" in echoed.body.value  # the server did send the key back
    for path, data in snapshot(root).items():
        assert FAKE_OPENROUTER_KEY.encode() not in data, path
    assert FAKE_OPENROUTER_KEY not in result.stdout + result.stderr


# --- a recording killed while it writes ------------------------------------------------------

KILLED_WHILE_WRITING = """
import os, sys, time

def hold(fd):
    # The new cassette is in its temporary file and not yet renamed over the old one.
    sys.stderr.write("WRITING\\n")
    sys.stderr.flush()
    time.sleep(60)

os.fsync = hold
from provider_contracts.cli import main
sys.argv = ["contracts", *sys.argv[1:]]
main()
"""


def test_a_recording_killed_mid_write_leaves_the_old_cassette(
    root: Path, server: ReplayServer
) -> None:
    point_at(root, server, "openrouter")
    before = snapshot(root / "cassettes")
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WHILE_WRITING,
            "--root",
            str(root),
            "record",
            "openrouter",
            "--endpoint",
            "models",
            *FAST,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **OPENROUTER_ENV},
    ) as process:
        assert process.stderr is not None
        try:
            assert process.stderr.readline() == "WRITING\n"
        finally:
            process.kill()  # SIGKILL: no handler, no cleanup
            process.communicate(timeout=10)
    assert process.returncode == -9
    after = snapshot(root / "cassettes")
    assert {k: after[k] for k in before} == before
    leftovers = [Path(k).name for k in after if k not in before]
    assert leftovers and all(
        name.startswith(".models.json.") and name.endswith(".tmp") for name in leftovers
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--root", str(root), "lint"]).exit_code == 0
    assert runner.invoke(cli, ["--root", str(root), "verify", "openrouter"]).exit_code == 0


def test_a_disk_that_fills_mid_record_leaves_every_cassette_as_it_was(
    root: Path, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    before = snapshot(root / "cassettes")
    real_fsync, synced = os.fsync, []

    def fsync(fd: int) -> None:
        synced.append(fd)
        if len(synced) > 2:  # two new cassettes fit, the third does not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = record(root, server)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: ") and ": cannot write (No space left on device)" in line
    assert "Traceback" not in result.output
    assert snapshot(root / "cassettes") == before  # nothing replaced, no temporary left


def test_a_key_echoed_in_a_form_no_scrub_rule_knows_is_still_masked(root: Path) -> None:
    import httpx

    from provider_contracts.cassettes.scrub import REDACTED
    from provider_contracts.contract.registry import Registry
    from provider_contracts.contract.schemas import store_for
    from provider_contracts.live.record import Refreshed, record_provider

    key = "plain" + "7" * 30  # no known prefix, sent back bare

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"data": {"label": f"key {key}", "usage": 0}}, headers={"X-Seen": key}
        )

    registry = Registry.load(root / "contracts")
    provider = registry.provider("openrouter")
    [recording] = record_provider(
        provider,
        [provider.endpoints["key"]],
        key=key,
        target=root / "fresh",
        committed=root / "cassettes",
        store=store_for(root / "contracts"),
        transport=httpx.MockTransport(echo),
    )
    assert isinstance(recording, Refreshed)
    response = recording.cassette.interactions[0].response
    assert response.body.value["data"]["label"] == f"key {REDACTED}"
    assert response.headers["x-seen"] == (REDACTED,)
