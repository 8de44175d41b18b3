"""The pytest plugin from the outside: a project with contracts, its tests run by pytester."""

from __future__ import annotations

import runpy
import shutil
from collections.abc import Iterator

import orjson
import pytest

from provider_contracts.cassettes.cassette import read
from provider_contracts.project import PACKAGED
from provider_contracts.pytest_plugin import RESPX_IS_REPLAY_ONLY
from provider_contracts.pytest_wiring import NO_MARKER, SCRATCH_NEEDS_LIVE
from support.paths import DATA as _DATA
from support.provider_server import ProviderServer

DATA = _DATA

HEADER = """
import httpx
import pytest

ACME = "https://api.acme.test/v1"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder holding the sample project's contracts/ and cassettes/."""
    for name in ("contracts", "cassettes"):
        shutil.copytree(DATA / "sample" / name, pytester.path / name)
    return pytester


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    running = ProviderServer().start()
    yield running
    running.stop()


# hypothesis's plugin imports much of hypothesis at the end of every inner session.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def run(project: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    project.makepyfile(test_consumer=HEADER + body)
    return project.runpytest(*QUIET, *args)


def test_the_plugin_adds_its_options_to_pytest_help(project: pytest.Pytester) -> None:
    result = project.runpytest(*QUIET, "--help")
    result.stdout.fnmatch_lines(
        [
            "provider contracts: recorded provider responses:",
            "  --contracts-root=DIR*",
            "  --contracts-live*",
            "  --contracts-scratch=DIR",
            "  --contracts-record-mode={none,new}",
            "  --contracts-cassettes=DIR",
            "  --strict-age*",
        ]
    )


def test_the_contract_marker_is_registered_with_its_signature(project: pytest.Pytester) -> None:
    result = project.runpytest(*QUIET, "--markers")
    result.stdout.fnmatch_lines(
        ['@pytest.mark.contract("PROVIDER/ENDPOINT", ..., interaction=None, scenario=None):*']
    )


def test_the_report_header_names_the_project_and_the_mode(project: pytest.Pytester) -> None:
    result = run(project, "def test_nothing(): pass")
    result.stdout.fnmatch_lines([f"contracts: {project.path} (replay)"])


def test_a_marked_test_gets_the_recorded_answer(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat")
def test_answer(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        response = client.post("/chat/completions", json={"model": "tiny"})
    assert response.json()["choices"][0]["message"]["content"] == "OK"
""",
    )
    result.assert_outcomes(passed=1)


def test_a_request_no_interaction_answers_fails_naming_the_closest_and_the_difference(
    project: pytest.Pytester,
) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat")
def test_wrong_path(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        client.post("/chat/completion", json={"model": "tiny"})
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "1 request in this test had no recorded answer (nothing was sent):",
            f"no recorded interaction answers POST {'https://api.acme.test/v1/chat/completion'}",
            "closest recorded request: acme/chat #0 completion in *cassettes/acme/chat.json",
            "  path: recorded /v1/chat/completions, got /v1/chat/completion",
        ]
    )


def test_a_miss_fails_the_test_even_when_the_client_swallows_the_error(
    project: pytest.Pytester,
) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat")
def test_swallowed(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        try:
            client.get("/chat/completions")
        except Exception:
            pass
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  method: recorded POST, got GET"])


def test_a_stream_asked_of_a_plain_endpoint_names_the_stream_field(
    project: pytest.Pytester,
) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat")
def test_stream(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        client.post("/chat/completions", json={"model": "tiny", "stream": True})
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  body field 'stream': recorded absent (acme/chat does not stream), got true"]
    )


def test_interaction_picks_one_recorded_answer_by_name(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat", interaction="unauthorized")
def test_unauthorized(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        assert client.post("/chat/completions", json={}).status_code == 401
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("marker", "line"),
    [
        ("", NO_MARKER.format(fixture="contracts_transport")),
        ("@pytest.mark.contract()", "@pytest.mark.contract(): name at least one endpoint; write *"),
        ('@pytest.mark.contract("acme")', "*'acme' is not a PROVIDER/ENDPOINT id*"),
        ('@pytest.mark.contract("acme/chat", answer=1)', "*unknown keyword 'answer'*"),
        (
            '@pytest.mark.contract("acme/chat", interaction=True)',
            "*interaction= takes a name or an index, not bool*",
        ),
        (
            '@pytest.mark.contract("acme/chta")',
            "*unknown endpoint 'acme/chta' (did you mean 'acme/chat'?)*",
        ),
        (
            '@pytest.mark.contract("acme/chat", interaction=9)',
            "interaction=9: acme/chat has no such interaction; it has *",
        ),
    ],
    ids=[
        "no-marker",
        "no-endpoint",
        "not-an-id",
        "unknown-keyword",
        "bool-interaction",
        "unknown-endpoint",
        "unknown-interaction",
    ],
)
def test_a_bad_marker_is_one_line_naming_the_fix(
    project: pytest.Pytester, marker: str, line: str
) -> None:
    result = run(
        project,
        f"""
{marker}
def test_marked(contracts_transport):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()


def test_a_missing_cassette_says_how_to_record_it(project: pytest.Pytester) -> None:
    (project.path / "cassettes/acme/chat.json").unlink()
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat")
def test_marked(contracts_transport):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["acme/chat: no cassette to replay (* does not exist); record it with *"]
    )


def test_a_root_given_on_the_command_line_is_used(project: pytest.Pytester) -> None:
    elsewhere = project.path / "elsewhere"
    elsewhere.mkdir()
    for name in ("contracts", "cassettes"):
        shutil.move(project.path / name, elsewhere / name)
    body = """
@pytest.mark.contract("acme/chat")
def test_answer(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        assert client.post("/chat/completions", json={}).status_code == 200
"""
    run(project, body).assert_outcomes(errors=1)
    run(project, body, "--contracts-root=elsewhere").assert_outcomes(passed=1)


def test_contracts_root_in_the_environment_is_used_and_the_option_wins(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = project.path / "elsewhere"
    elsewhere.mkdir()
    for name in ("contracts", "cassettes"):
        shutil.move(project.path / name, elsewhere / name)
    body = """
@pytest.mark.contract("acme/chat")
def test_answer(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        assert client.post("/chat/completions", json={}).status_code == 200
"""
    monkeypatch.setenv("CONTRACTS_ROOT", str(elsewhere))
    run(project, body).assert_outcomes(passed=1)
    run(project, body, "--contracts-root=nowhere").stderr.fnmatch_lines(
        ["*--contracts-root=nowhere: no contracts/ folder here; *"]
    )


def test_a_contracts_root_in_the_environment_without_contracts_is_named(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACTS_ROOT", "nowhere")
    result = run(project, "def test_nothing(): pass")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*CONTRACTS_ROOT=nowhere: no contracts/ folder here; *--contracts-root=DIR or *"]
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--contracts-root=nowhere"], "*--contracts-root=nowhere: no contracts/ folder here; *"),
        (["--contracts-scratch=scratch"], f"*{SCRATCH_NEEDS_LIVE}"),
        (
            ["--contracts-live", "--contracts-scratch=cassettes"],
            "*--contracts-scratch cassettes: that is the committed cassettes folder; *",
        ),
    ],
    ids=["root-without-contracts", "scratch-without-live", "scratch-is-cassettes"],
)
def test_a_bad_option_is_a_usage_error_naming_it(
    project: pytest.Pytester, args: list[str], line: str
) -> None:
    before = (project.path / "cassettes/acme/chat.json").read_bytes()
    result = run(project, "def test_nothing(): pass", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([line])
    assert (project.path / "cassettes/acme/chat.json").read_bytes() == before


def test_the_respx_router_serves_the_cassettes(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat_stream")
def test_respx(contracts_respx):
    with httpx.Client() as client:
        response = client.post(ACME + "/chat/completions", json={"stream": True})
    assert response.text.endswith("data: [DONE]\\n\\n")
    assert contracts_respx.routes["contracts"].call_count == 1
""",
    )
    result.assert_outcomes(passed=1)


def test_the_respx_router_without_respx_fails_with_the_install_line(
    project: pytest.Pytester,
) -> None:
    result = run(
        project,
        """
import sys

@pytest.fixture
def no_respx(monkeypatch):
    monkeypatch.setitem(sys.modules, "respx", None)  # as where respx is not installed

@pytest.mark.contract("acme/chat_stream")
def test_respx(no_respx, contracts_respx):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    line = "contracts_respx needs respx: pip install 'provider-contracts[respx]'"
    assert line in result.stdout.lines
    result.stdout.no_fnmatch_line("*import of respx*")


def test_an_async_client_replays_through_its_own_fixture(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
import asyncio

@pytest.mark.contract("acme/chat_stream")
def test_async(contracts_async_transport):
    async def events():
        async with httpx.AsyncClient(transport=contracts_async_transport) as client:
            async with client.stream("POST", ACME + "/chat/completions", json={"stream": True}) as r:
                return [chunk async for chunk in r.aiter_raw()]
    assert asyncio.run(events())[-1] == b"data: [DONE]\\n\\n"
""",
    )
    result.assert_outcomes(passed=1)


def test_the_httpx_namespace_builds_clients_on_the_replay(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.contract("acme/chat", interaction="unauthorized")
def test_namespace(contracts_httpx):
    with contracts_httpx.Client(base_url=ACME) as client:
        assert client.post("/chat/completions", json={}).status_code == 401
""",
    )
    result.assert_outcomes(passed=1)


def test_without_a_contracts_folder_the_packaged_contracts_are_replayed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_consumer="""
import httpx, pytest

@pytest.mark.contract("openrouter/key")
def test_key(contracts_transport, contract_validator):
    with httpx.Client(transport=contracts_transport) as client:
        response = client.get("https://openrouter.ai/api/v1/key")
    contract_validator(response, "openrouter/key")
"""
    )
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"contracts: {PACKAGED} (replay)"])


def test_the_validator_fixture_checks_a_response(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
from provider_contracts import ContractAssertionError

@pytest.mark.contract("acme/chat")
def test_checked(contracts_transport, contract_validator):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        response = client.post("/chat/completions", json={})
    assert contract_validator(response, "acme/chat").ok
    with pytest.raises(ContractAssertionError):
        contract_validator({"id": 1}, "acme/chat")
""",
    )
    result.assert_outcomes(passed=1)


def test_a_broken_response_fails_assert_contract_with_the_report(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
from provider_contracts import assert_contract

def test_broken():
    assert_contract({"id": "x", "object": "chat.completion", "choices": []}, "acme/chat")
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ContractAssertionError: acme/chat: the response (status 200) breaks its contract: 2 violations",
            '*response at /: "usage" is a required property',
        ]
    )


# --- live --------------------------------------------------------------------------------

LIVE_TEST = """
@pytest.mark.contract("acme/chat")
def test_live(contracts_transport):
    with httpx.Client(base_url=ACME, transport=contracts_transport) as client:
        response = client.post("/chat/completions", json={"model": "tiny"})
    assert response.status_code == 200

def test_unmarked():
    pass
"""


def serve_completion(server: ProviderServer, request_id: bool = True) -> None:
    recorded = read(DATA / "sample/cassettes/acme/chat.json").interactions[0].response
    server.headers = {"Content-Type": "application/json"}
    if request_id:
        server.headers["X-Request-Id"] = "req_live"
    server.body = orjson.dumps(recorded.body.value)


def test_live_mode_skips_a_test_whose_key_is_missing(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_API_KEY", raising=False)
    result = run(project, LIVE_TEST, "--contracts-live", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * environment variable ACME_API_KEY is not set; *"])


def test_live_mode_checks_the_real_answer_and_writes_it_to_scratch(
    project: pytest.Pytester, server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_completion(server)
    monkeypatch.setenv("ACME_API_KEY", "sk-acme-live-key")
    monkeypatch.setenv("CONTRACTS_BASE_URL_ACME", f"{server.url}/v1")
    result = run(project, LIVE_TEST, "--contracts-live", "--contracts-scratch=scratch")
    result.assert_outcomes(passed=2)
    (received,) = server.received
    assert received.headers["authorization"] == "Bearer sk-acme-live-key"
    written = project.path / "scratch/acme/chat.json"
    assert read(written).interactions[0].response.body.value == orjson.loads(server.body)
    assert "sk-acme-live-key" not in written.read_text()
    result.stdout.fnmatch_lines([f"contracts: {project.path} (live)"])


def test_live_mode_fails_a_test_whose_answer_breaks_its_contract(
    project: pytest.Pytester, server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_completion(server, request_id=False)
    monkeypatch.setenv("ACME_API_KEY", "sk-acme-live-key")
    monkeypatch.setenv("CONTRACTS_BASE_URL_ACME", f"{server.url}/v1")
    result = run(project, LIVE_TEST, "--contracts-live")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"acme/chat: the live answer to POST {server.url}/v1/chat/completions (status 200) "
            "breaks its contract: 1 violation",
            '  response at /: "x-request-id" is a required property',
        ]
    )


def test_live_mode_serves_an_async_client_too(
    project: pytest.Pytester, server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_completion(server)
    monkeypatch.setenv("ACME_API_KEY", "sk-acme-live-key")
    monkeypatch.setenv("CONTRACTS_BASE_URL_ACME", f"{server.url}/v1")
    body = """
import asyncio

@pytest.mark.contract("acme/chat")
def test_async_live(contracts_async_transport):
    async def post():
        async with httpx.AsyncClient(base_url=ACME, transport=contracts_async_transport) as client:
            return await client.post("/chat/completions", json={})
    assert asyncio.run(post()).headers["x-request-id"] == "req_live"
"""
    run(project, body, "--contracts-live").assert_outcomes(passed=1)
    assert len(server.received) == 1


def test_live_mode_skips_the_respx_router(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_KEY", "sk-acme-live-key")
    body = """
@pytest.mark.contract("acme/chat")
def test_respx(contracts_respx):
    pass
"""
    result = run(project, body, "--contracts-live", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED * {RESPX_IS_REPLAY_ONLY}"])


def test_the_plugin_module_declares_its_hooks_and_fixtures() -> None:
    # Run afresh: pytest imports the entry point before coverage starts measuring.
    import provider_contracts.pytest_plugin as plugin

    namespace = runpy.run_path(plugin.__file__, run_name="provider_contracts.fresh_plugin")
    hooks = {
        "pytest_addoption",
        "pytest_configure",
        "pytest_unconfigure",
        "pytest_report_header",
        "pytest_runtest_call",
    }
    fixtures = {
        "contracts_transport",
        "contracts_async_transport",
        "contracts_respx",
        "contracts_httpx",
        "contract_validator",
    }
    assert hooks | fixtures <= set(namespace)


def test_the_package_the_entry_point_lives_in_imports_only_what_it_names() -> None:
    # Run afresh for the same reason: loading the entry point imports the package first.
    import provider_contracts

    namespace = runpy.run_path(provider_contracts.__file__, run_name="provider_contracts")
    assert namespace["__all__"] == provider_contracts.__all__
    assert set(namespace["__all__"]) <= set(namespace["_HOMES"])
