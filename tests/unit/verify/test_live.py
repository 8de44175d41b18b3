"""`contracts verify --live`: fresh calls to the replay server on 127.0.0.1, recorded into a
scratch folder, validated and diffed against the committed cassettes, never written there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from provider_contracts.cli import cli
from provider_contracts.contract.registry import Registry
from provider_contracts.errors import MISSING_CREDENTIAL
from provider_contracts.live.caller import RetryPolicy
from provider_contracts.replay.alterations import parse
from provider_contracts.replay.server import ReplayServer
from provider_contracts.verify.live import NO_COMMITTED, SCRATCH_IN_CASSETTES, verify_live
from support.live import (
    FAKE_OPENROUTER_KEY,
    FAKE_STRIPE_KEY,
    make_project,
    point_at,
    server_for,
    snapshot,
)

FAST = ("--retries", "1", "--backoff", "0.01", "--timeout", "0.3", "--deadline", "3")
KEYS = {"OPENROUTER_API_KEY": FAKE_OPENROUTER_KEY, "STRIPE_API_KEY": FAKE_STRIPE_KEY}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", "openrouter", "stripe")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ReplayServer]:
    with server_for(
        make_project(tmp_path / "provider", "openrouter", "stripe"), "openrouter", "stripe"
    ) as running:
        yield running


def verify(
    root: Path,
    server: ReplayServer,
    *args: str,
    env: dict[str, str | None] | None = None,
    only: str = "openrouter",
) -> Result:
    """`contracts verify ONLY --live` (ONLY an OpenRouter endpoint or all of it)."""
    return CliRunner().invoke(
        cli,
        [
            "--root",
            str(root),
            "verify",
            only,
            "--live",
            "--base-url",
            server.base_url("openrouter"),
            *FAST,
            *args,
        ],
        env=KEYS if env is None else env,
        prog_name="contracts",
    )


def report(result: Result) -> dict:  # type: ignore[type-arg]
    return orjson.loads(result.stdout)  # type: ignore[no-any-return]


def outcomes(result: Result) -> dict[str, str]:
    return {e["endpoint"]: e["outcome"] for e in report(result)["endpoints"]}


def test_a_provider_that_still_answers_as_recorded_passes(root: Path, server: ReplayServer) -> None:
    result = verify(root, server, "--format", "json")
    assert result.exit_code == 0, result.output
    assert report(result)["mode"] == "live"
    assert set(outcomes(result).values()) == {"pass"}


def test_fresh_recordings_go_to_the_scratch_folder_never_to_cassettes(
    root: Path, server: ReplayServer, tmp_path: Path
) -> None:
    before = snapshot(root / "cassettes")
    scratch = tmp_path / "scratch-here"
    result = verify(root, server, "--scratch", str(scratch))
    assert result.exit_code == 0, result.output
    assert snapshot(root / "cassettes") == before
    assert sorted(snapshot(scratch)) == [
        f"openrouter/{name}.json"
        for name in (
            "chat_completions",
            "chat_completions_stream",
            "credits",
            "generation",
            "key",
            "models",
        )
    ]


def test_by_default_the_scratch_folder_is_new_under_scratch(
    root: Path, server: ReplayServer
) -> None:
    for _ in range(2):
        assert verify(root, server, only="openrouter/key").exit_code == 0
    runs = sorted(p.name for p in (root / "scratch").iterdir())
    assert len(runs) == 2
    assert all(name.startswith("live-") for name in runs)


@pytest.mark.parametrize("folder", ["cassettes", "contracts"])
def test_a_scratch_folder_inside_cassettes_or_contracts_is_refused(
    root: Path, server: ReplayServer, folder: str
) -> None:
    before = snapshot(root)
    result = verify(root, server, "--scratch", str(root / folder / "tmp"))
    assert result.exit_code == 2
    expected = SCRATCH_IN_CASSETTES.format(path="", folder=folder).split(":")[1].split(";")[0]
    assert expected in result.stderr and len(result.stderr.splitlines()) == 1
    assert server.exchanges == []
    assert snapshot(root) == before


def test_a_breaking_change_fails_with_its_drift_in_the_report(
    root: Path, server: ReplayServer, tmp_path: Path
) -> None:
    server.alterations = [parse("retype:data.usage=string@openrouter/key")]
    saved = tmp_path / "reports" / "live.json"
    result = verify(root, server, "--report", f"json:{saved}", only="openrouter/key")
    assert result.exit_code == 1
    assert "FAIL openrouter/key" in result.stdout
    [endpoint] = orjson.loads(saved.read_bytes())["endpoints"]
    breaking = [f for f in endpoint["drift"] if f["severity"] == "breaking"]
    assert [(f["path"], f["change"]) for f in breaking] == [("data.usage", "type_changed")]


def test_breaking_drift_alone_fails_and_is_shown(root: Path, server: ReplayServer) -> None:
    server.alterations = [parse("drop:choices[].finish_reason@openrouter/chat_completions")]
    result = verify(root, server, only="openrouter/chat_completions")
    assert result.exit_code == 1
    assert "breaking choices[].finish_reason: removed" in result.stdout


def test_an_additive_change_passes_and_is_reported(root: Path, server: ReplayServer) -> None:
    server.alterations = [parse("add:data.mood=1@openrouter/key")]
    result = verify(root, server, "--format", "json", only="openrouter/key")
    assert result.exit_code == 0, result.output
    drift = report(result)["endpoints"][0]["drift"]
    assert ("data.mood", "additive") in [(f["path"], f["severity"]) for f in drift]


def test_an_unreachable_endpoint_is_unverified_and_the_rest_still_checked(
    root: Path, server: ReplayServer
) -> None:
    server.alterations = [parse("status:503@openrouter/models")]
    result = verify(root, server, "--format", "json")
    assert result.exit_code == 3
    found = outcomes(result)
    assert found.pop("openrouter/models") == "unverified"
    assert set(found.values()) == {"pass"}
    [models] = [e for e in report(result)["endpoints"] if e["endpoint"] == "openrouter/models"]
    assert models["note"].startswith("openrouter/models: could not verify: HTTP 503 (2 attempts")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("hang", "timed out"),
        ("reset", "reset or closed early"),
        ("cut:2", "the stream was cut short"),
    ],
    ids=["hung-connection", "connection-reset", "stream-cut-short"],
)
def test_faults_make_an_endpoint_unverified_not_failed(
    root: Path, server: ReplayServer, spec: str, reason: str
) -> None:
    server.alterations = [parse(spec)]
    result = verify(root, server, only="openrouter/chat_completions_stream")
    assert result.exit_code == 3
    assert "SKIP openrouter/chat_completions_stream" in result.stdout
    assert reason in result.stdout
    assert "could not verify" in result.stdout.splitlines()[-1]


def test_a_fault_that_clears_within_the_retries_passes(root: Path, server: ReplayServer) -> None:
    server.alterations = [parse("reset*1"), parse("status:429:0.01*1")]
    result = verify(root, server, "--retries", "2", only="openrouter/key")
    assert result.exit_code == 0, result.output
    assert [e.status for e in server.exchanges] == [None, 429, 200]


def test_a_missing_key_stops_the_run_before_any_call(root: Path, server: ReplayServer) -> None:
    result = verify(root, server, env={"OPENROUTER_API_KEY": None})
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + MISSING_CREDENTIAL.format(
        var="OPENROUTER_API_KEY", provider="OpenRouter"
    )
    assert server.exchanges == []


def test_every_key_is_checked_before_the_first_call(root: Path, server: ReplayServer) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(root),
            "verify",
            "openrouter",
            "stripe",
            "--live",
            "--base-url",
            f"openrouter={server.base_url('openrouter')}",
            "--base-url",
            f"stripe={server.base_url('stripe')}",
            *FAST,
        ],
        env={"OPENROUTER_API_KEY": FAKE_OPENROUTER_KEY, "STRIPE_API_KEY": "sk_live_x"},
    )
    assert result.exit_code == 2
    assert "not a Stripe test-mode key" in result.stderr
    assert server.exchanges == []


def test_two_providers_each_get_their_base_url(root: Path, server: ReplayServer) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(root),
            "verify",
            "openrouter/key",
            "stripe/customer_create",
            "--live",
            "--base-url",
            f"openrouter={server.base_url('openrouter')}",
            "--base-url",
            f"stripe={server.base_url('stripe', prefixed=True)}",
            *FAST,
        ],
        env=KEYS,
    )
    assert result.exit_code == 0, result.output
    assert [e.path for e in server.exchanges] == ["/api/v1/key", "/stripe/v1/customers"]


def test_a_run_against_another_base_url_says_so_in_its_report(
    root: Path, server: ReplayServer
) -> None:
    url = server.base_url("openrouter")
    result = verify(root, server, "--format", "json", only="openrouter/key")
    assert result.exit_code == 0, result.output
    data = report(result)
    assert data["base_urls"] == {"openrouter": url}
    [endpoint] = data["endpoints"]
    assert endpoint["provenance"]["recorded_live"] is False
    assert endpoint["provenance"]["recorded_from"] == url
    text = verify(root, server, only="openrouter/key")
    assert f"not live, recorded from {url} (--base-url)" in text.stdout
    assert "recorded live" not in text.stdout


def gate_on_live_reports(root: Path, server: ReplayServer, *gate_args: str) -> Result:
    """`verify --all --live --report json:...` against the server, then the gate on it."""
    out = root / "reports" / "all.json"
    args = ["--root", str(root), "verify", "--all", "--live", "--report", f"json:{out}", *FAST]
    urls = {p: server.base_url(p) for p in ("openrouter", "stripe")}
    manifest = (root / "contracts/openrouter/provider.yaml").read_text()
    if urls["openrouter"] not in manifest:  # the manifests still name the real providers
        args += [f"--base-url={p}={u}" for p, u in urls.items()]
    assert CliRunner().invoke(cli, args, env=KEYS).exit_code == 0
    return CliRunner().invoke(cli, ["--root", str(root), "gate", str(out), *gate_args])


def test_the_gate_blocks_a_report_whose_calls_went_to_another_base_url(
    root: Path, server: ReplayServer
) -> None:
    result = gate_on_live_reports(root, server)
    assert result.exit_code == 1
    assert (
        "called openrouter="
        + server.base_url("openrouter")
        + ", stripe="
        + server.base_url("stripe")
        + " instead of the manifests' base_url (--base-url): no evidence about the providers; "
        "give the nightly's live reports (no --base-url), or pass --allow-base-url"
    ) in result.stdout
    allowed = gate_on_live_reports(root, server, "--allow-base-url")
    assert allowed.exit_code == 0, allowed.output
    assert "instead of the manifests' base_url" in allowed.stdout  # noted, not hidden


def test_the_gate_takes_a_report_from_the_manifests_base_url_as_live_evidence(
    root: Path, server: ReplayServer
) -> None:
    point_at(root, server, "openrouter", "stripe")
    result = gate_on_live_reports(root, server)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "openrouter", "--base-url", "http://127.0.0.1:1"], "add --live"),
        (["verify", "openrouter", "--scratch", "x"], "add --live"),
        (
            ["verify", "openrouter", "--retries", "1", "--timeout", "2"],
            "--retries, --timeout: for live runs only; add --live",
        ),
        (
            ["verify", "openrouter", "stripe", "--live", "--base-url", "http://127.0.0.1:1"],
            "names no provider, and this run calls openrouter, stripe",
        ),
    ],
    ids=["base-url-offline", "scratch-offline", "time-limits-offline", "ambiguous-base-url"],
)
def test_live_options_misused_are_one_line_and_exit_2(
    root: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["--root", str(root), *args], env=KEYS)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_key_reaches_no_scratch_file_report_or_output(
    root: Path, server: ReplayServer, tmp_path: Path
) -> None:
    server.alterations = [parse("echo:Authorization")]
    saved = tmp_path / "live.json"
    result = verify(root, server, "--report", f"json:{saved}")
    assert result.exit_code == 0, result.output
    for path, data in {**snapshot(root), "report": saved.read_bytes()}.items():
        assert FAKE_OPENROUTER_KEY.encode() not in data, path
    assert FAKE_OPENROUTER_KEY not in result.stdout + result.stderr


def test_an_endpoint_without_a_committed_cassette_is_checked_and_says_so(
    root: Path, server: ReplayServer
) -> None:
    (root / "cassettes" / "openrouter" / "key.json").unlink()
    registry = Registry.load(root / "contracts")
    result = verify_live(
        [registry.endpoint("openrouter/key")],
        registry,
        root / "cassettes",
        root / "scratch",
        KEYS,
        base_urls={"openrouter": server.base_url("openrouter")},
        policy=RetryPolicy(retries=0, read_timeout=1, deadline=2),
    )
    [endpoint] = result.endpoints
    assert (endpoint.outcome, endpoint.drift) == ("pass", ())
    assert endpoint.note == NO_COMMITTED.format(provider="openrouter")


@pytest.mark.parametrize(
    ("spec", "note"),
    [
        (
            "status:500@stripe/checkout_session_create",
            "not called: needs its id from checkout_session_create, which could not be reached",
        ),
        (
            "drop:id@stripe/checkout_session_create",
            "not called: needs its id from checkout_session_create, which answered HTTP 200 without id",
        ),
    ],
    ids=["source-unreachable", "source-without-the-id"],
)
def test_an_endpoint_whose_id_source_failed_is_unverified(
    root: Path, server: ReplayServer, spec: str, note: str
) -> None:
    server.alterations = [parse(spec)]
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(root),
            "verify",
            "stripe/checkout_session_retrieve",
            "--live",
            "--base-url",
            server.base_url("stripe"),
            *FAST,
            "--format",
            "json",
        ],
        env=KEYS,
    )
    assert result.exit_code == 3
    [endpoint] = report(result)["endpoints"]
    assert (endpoint["outcome"], endpoint["note"]) == ("unverified", note)
    assert {e.endpoint for e in server.exchanges} == {"stripe/checkout_session_create"}


def test_a_refused_run_leaves_no_scratch_folder_behind(root: Path, server: ReplayServer) -> None:
    result = verify(root, server, env={"OPENROUTER_API_KEY": None})
    assert result.exit_code == 2
    assert not (root / "scratch").exists()
