"""The plugin serves httpx2 clients: the anthropic and openai SDKs in a consumer's tests."""

from __future__ import annotations

import pytest

from support.paths import REPO

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")

CONSUMER = """
import asyncio

import anthropic
import httpx2
import openai
import pytest

HELLO = [{"role": "user", "content": "Hi"}]


@pytest.mark.contract("anthropic/messages", "anthropic/messages_stream")
def test_anthropic(contracts_transport):
    client = anthropic.Anthropic(
        api_key="test", max_retries=0, http_client=httpx2.Client(transport=contracts_transport)
    )
    message = client.messages.create(model="claude-x", max_tokens=16, messages=HELLO)
    assert message.type == "message"
    with client.messages.stream(model="claude-x", max_tokens=16, messages=HELLO) as stream:
        assert stream.get_final_message().stop_reason


@pytest.mark.contract("anthropic/messages")
def test_anthropic_async(contracts_async_transport):
    async def ask():
        client = anthropic.AsyncAnthropic(
            api_key="test",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=contracts_async_transport),
        )
        return await client.messages.create(model="claude-x", max_tokens=16, messages=HELLO)

    assert asyncio.run(ask()).type == "message"


@pytest.mark.contract("openai/chat_completions_stream")
def test_openai_over_httpx2(contracts_httpx2):
    client = openai.OpenAI(api_key="test", max_retries=0, http_client=contracts_httpx2.Client())
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))
    assert chunks and chunks[0].object == "chat.completion.chunk"


@pytest.mark.contract("anthropic/messages")
def test_anthropic_unmatched(contracts_transport):
    client = anthropic.Anthropic(
        api_key="test", max_retries=0, http_client=httpx2.Client(transport=contracts_transport)
    )
    with pytest.raises(Exception):
        client.models.list()
"""


def test_anthropic_and_openai_on_httpx2_are_answered_from_the_cassettes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_consumer=CONSUMER)
    result = pytester.runpytest(*QUIET, f"--contracts-root={REPO}")
    result.assert_outcomes(passed=3, failed=1)
    # The SDK caught the refusal, yet the test fails, naming the request nobody answered.
    result.stdout.fnmatch_lines(
        ["*test_anthropic_unmatched*", "*no recorded interaction answers GET *"]
    )
