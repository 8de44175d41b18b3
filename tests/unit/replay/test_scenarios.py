"""Named scenarios, from `contracts serve --scenario` and from the plugin's marker."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import httpx2
import openai
import pytest

from provider_contracts.cli import cli
from provider_contracts.contract import sse
from provider_contracts.errors import InputError
from provider_contracts.project import project
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.scenarios import SCENARIOS, scenario
from provider_contracts.replay.server import ReplayServer
from provider_contracts.replay.transports import ReplayTransport
from support.paths import REPO

HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@pytest.fixture
def servers() -> Iterator[dict[str, ReplayServer]]:
    running: dict[str, ReplayServer] = {}
    yield running
    for server in running.values():
        server.stop()


def serving(servers: dict[str, ReplayServer], name: str) -> ReplayServer:
    servers[name] = ReplayServer.at(REPO, ["openai", "anthropic"], scenario=name)
    servers[name].start()
    return servers[name]


def test_serve_help_lists_every_scenario() -> None:
    from click.testing import CliRunner

    shown = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert all(f"  {name} " in shown for name in SCENARIOS)


def test_an_unknown_scenario_is_refused_naming_those_that_exist(run) -> None:  # type: ignore[no-untyped-def]
    result = run("serve", "acme", "--scenario", "flaky")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "scenario 'flaky': there is no such scenario; the scenarios are: " + ", ".join(SCENARIOS)
    )


def test_an_alteration_for_a_provider_not_served_is_refused_at_start(run) -> None:  # type: ignore[no-untyped-def]
    result = run("serve", "acme", "--alter", "status:429@beta")
    assert result.exit_code == 2
    assert "--alter 'status:429@beta': names 'beta', which this server does not serve" in (
        result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_server_refuses_an_alteration_for_nothing_it_serves() -> None:
    with ReplayServer.at(REPO, ["openai"]) as server, pytest.raises(InputError) as caught:
        server.alterations = ["status:429@stripe"]
    assert str(caught.value) == (
        "--alter 'status:429@stripe': @stripe names no provider or endpoint served here; "
        "served: openai (an endpoint is PROVIDER/ENDPOINT, as `contracts list` shows)"
    )


def test_rate_limited_then_fine_through_the_server(servers: dict[str, ReplayServer]) -> None:
    server = serving(servers, "rate-limited-then-fine")
    client = openai.OpenAI(api_key="t", base_url=server.base_url("openai"), max_retries=0)
    with client:
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        assert caught.value.response.headers["retry-after"] == "1"
        assert client.chat.completions.create(model="gpt-4o-mini", messages=HELLO).choices
    assert [e.status for e in server.exchanges] == [429, 200]


def test_overloaded_then_fine_through_the_plugin_transport() -> None:
    chosen = scenario("overloaded-then-fine")
    endpoint = project(REPO).registry.endpoint("anthropic/messages")
    replayer = Replayer(candidates(project(REPO), [Selection("anthropic/messages")]))
    transport = ReplayTransport(
        replayer, chosen.alterations(["anthropic"]), {endpoint.id: endpoint}
    )
    client = anthropic.Anthropic(
        api_key="t", max_retries=0, http_client=httpx2.Client(transport=transport)
    )
    ask = {"model": "claude-x", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
    with client:
        with pytest.raises(anthropic.OverloadedError):
            client.messages.create(**ask)  # type: ignore[arg-type]
        assert client.messages.create(**ask).type == "message"  # type: ignore[arg-type]


def test_stream_cut_in_tool_call_ends_inside_the_arguments(
    servers: dict[str, ReplayServer],
) -> None:
    server = serving(servers, "stream-cut-in-tool-call")
    url = server.base_url("anthropic", prefixed=True) + "/messages"
    ask = {"model": "claude-x", "max_tokens": 8, "stream": True, "messages": []}
    cut = httpx.post(url, json=ask).text
    whole = httpx.post(url, json=ask).text
    assert "input_json_delta" in whole and "message_stop" in whole
    last = cut.rsplit("\n\n", 1)[-1]
    assert last.startswith("event: content_block_delta") and "input_json_delta" not in last
    assert whole.startswith(cut[: len(cut) - len(last)]) and len(cut) < len(whole)
    with pytest.raises(json.JSONDecodeError):
        json.loads(sse.parse(cut + "\n\n").data_events[-1].data)


def test_a_scenario_is_usable_from_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_consumer="""
import httpx2, openai, pytest

HELLO = [{"role": "user", "content": "Hi"}]

@pytest.mark.contract("openai/chat_completions", scenario="timeout-then-fine")
def test_timeout_then_fine(contracts_transport):
    client = openai.OpenAI(api_key="t", max_retries=0,
                           http_client=httpx2.Client(transport=contracts_transport))
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=HELLO).choices

@pytest.mark.contract("openai/chat_completions", scenario="flaky")
def test_unknown(contracts_transport):
    pass
"""
    )
    result = pytester.runpytest(*QUIET, f"--contracts-root={REPO}")
    result.assert_outcomes(passed=1, errors=1)  # the unknown name fails the fixture
    result.stdout.fnmatch_lines(
        ["*scenario 'flaky': there is no such scenario; the scenarios are:*"]
    )
