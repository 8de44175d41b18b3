"""Learning what a consumer reads, from the outside: its tests run by pytester."""

from __future__ import annotations

import shutil

import pytest
import yaml

from provider_contracts.consumers.session import NEEDS_REPLAY
from support.paths import REPO, SAMPLE

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
GATEWAY = REPO / "examples" / "gateway"


def learned(pytester: pytest.Pytester, name: str = "gateway") -> dict[str, dict[str, dict]]:
    text = (pytester.path / "contracts" / "consumers" / f"{name}.yaml").read_text()
    return yaml.safe_load(text)["endpoints"]


@pytest.fixture
def gateway(pytester: pytest.Pytester) -> pytest.Pytester:
    """The example gateway and its tests, over a copy of this repository's contracts."""
    for name in ("contracts", "cassettes"):
        shutil.copytree(REPO / name, pytester.path / name)
    shutil.rmtree(pytester.path / "contracts" / "consumers")
    shutil.copytree(GATEWAY, pytester.path / "examples" / "gateway")
    pytester.syspathinsert(pytester.path / "examples" / "gateway")
    return pytester


# importlib: this session has imported the example's own `test_gateway` already
LEARN = ("--import-mode=importlib", "--contracts-learn=gateway")


@pytest.fixture
def sample(pytester: pytest.Pytester) -> pytest.Pytester:
    for name in ("contracts", "cassettes"):
        shutil.copytree(SAMPLE / name, pytester.path / name)
    return pytester


def test_learning_the_example_gateway_finds_what_it_reads_and_not_what_it_ignores(
    gateway: pytest.Pytester,
) -> None:
    result = gateway.runpytest(*QUIET, *LEARN)
    result.assert_outcomes(passed=10)
    chat = learned(gateway)["openrouter/chat_completions"]
    assert {"usage.total_tokens", "choices[].message.content"} <= set(chat)
    assert "created" not in chat and "system_fingerprint" not in chat
    assert chat["usage.total_tokens"]["present"] is True
    assert chat["usage.total_tokens"]["learned"] is True
    assert chat["usage.total_tokens"]["tests"] == [
        "examples/gateway/test_gateway.py::test_ask_returns_the_answer_through_the_sdk",
        "examples/gateway/test_gateway.py::test_complete_reads_a_null_content_as_empty",
        "examples/gateway/test_gateway.py::test_complete_returns_the_answer_and_its_token_count",
    ]
    result.stdout.fnmatch_lines(
        [
            "contracts-learn gateway: examples/gateway/test_gateway.py::test_complete_returns_the_answer_and_its_token_count: * runs, * read: *usage.total_tokens*",
            "contracts-learn gateway: *::test_ask_surfaces_a_rate_limit_then_succeeds: 1 runs, 0 read: it fails when run again unchanged*",
            "contracts-learn gateway: 9 tests, * mutated runs, * paths read on * endpoints -> *gateway.yaml",
        ]
    )


def test_the_committed_consumer_file_is_what_learning_the_example_writes(
    gateway: pytest.Pytester,
) -> None:
    gateway.runpytest(*QUIET, *LEARN).assert_outcomes(passed=10)
    committed = yaml.safe_load((REPO / "contracts" / "consumers" / "gateway.yaml").read_text())
    assert learned(gateway) == committed["endpoints"], (
        "contracts/consumers/gateway.yaml is out of date: run `pytest examples/gateway "
        "--contracts-learn=gateway` and commit it"
    )


STREAM = """
import httpx, json, pytest

@pytest.mark.contract("acme/chat_stream")
def test_stream(contracts_transport):
    client = httpx.Client(base_url="https://api.acme.test/v1", transport=contracts_transport)
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1, "stream": True}
    text, tokens = "", None
    with client.stream("POST", "/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            for choice in chunk["choices"]:
                text += choice["delta"].get("content") or ""
            if "usage" in chunk:
                tokens = chunk["usage"]["total_tokens"]
    assert text == "OK" and tokens == 5
"""


def test_a_stream_is_learned_per_event_path(sample: pytest.Pytester) -> None:
    sample.makepyfile(test_stream=STREAM)
    sample.runpytest(*QUIET, "--contracts-learn=app").assert_outcomes(passed=1)
    paths = learned(sample, "app")["acme/chat_stream"]
    assert set(paths) == {
        "events[chat.completion.chunk].choices[].delta.content",
        "events[chat.completion.chunk].usage.total_tokens",
    }


def test_hand_written_entries_are_kept_and_stale_learned_ones_dropped(
    sample: pytest.Pytester,
) -> None:
    consumers = sample.path / "contracts" / "consumers"
    consumers.mkdir()
    (consumers / "app.yaml").write_text(
        yaml.safe_dump(
            {
                "endpoints": {
                    "acme/chat_stream": {
                        "events[chat.completion.chunk].id": {"present": True},
                        "events[chat.completion.chunk].object": {
                            "learned": True,
                            "tests": ["test_stream.py::test_stream"],
                        },
                        "events[chat.completion.chunk].model": {
                            "learned": True,
                            "tests": ["test_elsewhere.py::test_not_run"],
                        },
                    }
                }
            }
        )
    )
    sample.makepyfile(test_stream=STREAM)
    sample.runpytest(*QUIET, "--contracts-learn=app").assert_outcomes(passed=1)
    paths = learned(sample, "app")["acme/chat_stream"]
    assert paths["events[chat.completion.chunk].id"] == {
        "present": True,
        "types": [],
        "values": [],
        "tests": [],
    }
    assert "events[chat.completion.chunk].object" not in paths  # its test ran and did not show it
    assert "events[chat.completion.chunk].model" in paths  # its test did not run
    assert "events[chat.completion.chunk].usage.total_tokens" in paths


def test_the_cost_is_bounded_and_a_partly_learned_test_is_said_so(
    sample: pytest.Pytester,
) -> None:
    sample.makepyfile(test_stream=STREAM)
    result = sample.runpytest(*QUIET, "--contracts-learn=app", "--contracts-learn-max=3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "contracts-learn app: test_stream.py::test_stream: 3 runs, * (stopped after 3 of *)",
            "contracts-learn app: 1 test, 3 mutated runs, *; stopped at --contracts-learn-max 3: 1 test only partly learned*",
        ]
    )


def test_a_failing_test_teaches_nothing(sample: pytest.Pytester) -> None:
    sample.makepyfile(test_stream=STREAM.replace('text == "OK"', 'text == "KO"'))
    result = sample.runpytest(*QUIET, "--contracts-learn=app")
    result.assert_outcomes(failed=1)
    assert learned(sample, "app") == {}
    assert "contracts-learn app: test_stream.py" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--contracts-learn=app", "--contracts-live"), NEEDS_REPLAY),
        (("--contracts-learn=app", "--contracts-learn-max=0"), "--contracts-learn-max 0: *"),
        (("--contracts-learn=no/such",), "*'no/such' is not a consumer name*"),
    ],
    ids=["with live", "no runs", "bad name"],
)
def test_bad_learning_options_are_one_line_usage_errors(
    sample: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = sample.runpytest(*QUIET, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])


def test_a_broken_consumer_file_stops_learning_before_any_test(sample: pytest.Pytester) -> None:
    consumers = sample.path / "contracts" / "consumers"
    consumers.mkdir()
    (consumers / "app.yaml").write_text("endpoints: [oops]\n")
    sample.makepyfile(test_stream=STREAM)
    result = sample.runpytest(*QUIET, "--contracts-learn=app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*contracts/consumers/app.yaml: field 'endpoints' must map*"])
    assert (consumers / "app.yaml").read_text() == "endpoints: [oops]\n"


def test_a_test_that_skips_on_a_changed_answer_is_neither_skipped_nor_taught(
    sample: pytest.Pytester,
) -> None:
    sample.makepyfile(
        test_chat="""
import httpx, pytest

@pytest.mark.contract("acme/chat")
def test_tokens(contracts_transport):
    client = httpx.Client(base_url="https://api.acme.test/v1", transport=contracts_transport)
    usage = client.post("/chat/completions", json={"model": "tiny"}).json()["usage"]
    if not isinstance(usage.get("total_tokens"), int):
        pytest.skip("no token count")
    assert usage["total_tokens"] > 0
"""
    )
    sample.runpytest(*QUIET, "--contracts-learn=app").assert_outcomes(passed=1)
    assert learned(sample, "app") == {}


def test_the_learning_options_are_in_pytest_help(sample: pytest.Pytester) -> None:
    result = sample.runpytest(*QUIET, "--help")
    result.stdout.fnmatch_lines(["  --contracts-learn=NAME*", "  --contracts-learn-max=N*"])
