"""The gateway's tests, replaying what the providers really sent (the committed cassettes).

Nothing here mocks a response by hand: `@pytest.mark.contract` names the provider
endpoint, the plugin's transport answers from its cassette, and a request the cassette
cannot answer fails the test. `pytest --contracts-live` runs the same tests against the
providers (keys from OPENROUTER_API_KEY and STRIPE_API_KEY).
"""

from __future__ import annotations

import httpx
import openai
import pytest
import stripe
from gateway import ProviderError, ask, buy_credits, complete, stream

from provider_contracts import assert_contract

OPENROUTER = "https://openrouter.ai/api/v1"


def openrouter(transport: httpx.BaseTransport, seen: list[httpx.Response]) -> httpx.Client:
    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    return httpx.Client(
        base_url=OPENROUTER,
        transport=transport,
        headers={"Authorization": "Bearer test"},
        event_hooks={"response": [keep]},
    )


@pytest.mark.contract(
    "openrouter/chat_completions", interaction="a plain answer; usage without cost"
)
def test_complete_returns_the_answer_and_its_token_count(
    contracts_transport: httpx.BaseTransport,
) -> None:
    seen: list[httpx.Response] = []
    with openrouter(contracts_transport, seen) as client:
        content, total_tokens = complete(client, "What is the capital of France?")

    (response,) = seen
    assert_contract(response, "openrouter/chat_completions")
    body = response.json()
    assert body["id"]
    assert content and content == body["choices"][0]["message"]["content"]
    assert total_tokens > 0 and total_tokens == body["usage"]["total_tokens"]


@pytest.mark.contract("openrouter/chat_completions", interaction="content null on a tool call")
def test_complete_reads_a_null_content_as_empty(contracts_transport: httpx.BaseTransport) -> None:
    seen: list[httpx.Response] = []
    with openrouter(contracts_transport, seen) as client:
        content, total_tokens = complete(client, "What is the weather in Boston?")

    (response,) = seen
    assert response.json()["choices"][0]["message"]["content"] is None
    assert content == ""
    assert total_tokens == response.json()["usage"]["total_tokens"]


@pytest.mark.contract("openrouter/chat_completions", interaction="an upstream error under HTTP 200")
def test_complete_raises_on_an_error_sent_under_http_200(
    contracts_transport: httpx.BaseTransport,
) -> None:
    with (
        openrouter(contracts_transport, []) as client,
        pytest.raises(ProviderError, match=r"^200: "),
    ):
        complete(client, "Say OK")


@pytest.mark.contract("openrouter/chat_completions", interaction="insufficient credits (402)")
def test_complete_raises_when_credits_run_out(contracts_transport: httpx.BaseTransport) -> None:
    with (
        openrouter(contracts_transport, []) as client,
        pytest.raises(ProviderError, match=r"^402: "),
    ):
        complete(client, "Say OK")


def sdk(contracts_httpx2: object) -> openai.OpenAI:
    # openai 3.x builds on httpx2; the plugin's transport serves it as it serves httpx.
    return openai.OpenAI(
        base_url=OPENROUTER,
        api_key="test",
        max_retries=0,
        http_client=contracts_httpx2.Client(),  # type: ignore[attr-defined]
    )


@pytest.mark.contract(
    "openrouter/chat_completions", interaction="a plain answer; usage without cost"
)
def test_ask_returns_the_answer_through_the_sdk(contracts_httpx2: object) -> None:
    content, total_tokens = ask(sdk(contracts_httpx2), "What is the capital of France?")
    assert content and total_tokens > 0


@pytest.mark.contract("openrouter/chat_completions", interaction="an upstream error under HTTP 200")
def test_ask_raises_on_an_error_the_sdk_parsed_as_a_success(contracts_httpx2: object) -> None:
    with pytest.raises(ProviderError, match=r"^200: "):
        ask(sdk(contracts_httpx2), "Say OK")


@pytest.mark.contract("openrouter/chat_completions_stream", interaction=0)
def test_stream_joins_the_streamed_answer(contracts_httpx2: object) -> None:
    assert stream(sdk(contracts_httpx2), "Say OK")


@pytest.mark.contract(
    "openrouter/chat_completions_stream",
    interaction="an upstream error mid-stream: error chunk with finish_reason error",
)
def test_stream_raises_the_providers_code_from_a_mid_stream_error_chunk(
    contracts_httpx2: object,
) -> None:
    with pytest.raises(ProviderError, match=r"^429: Rate limit exceeded$") as caught:
        stream(sdk(contracts_httpx2), "Say OK")
    assert caught.value.partial == "Hello"


@pytest.mark.contract("openrouter/chat_completions", scenario="rate-limited-then-fine")
def test_ask_surfaces_a_rate_limit_then_succeeds(contracts_httpx2: object) -> None:
    client = sdk(contracts_httpx2)
    with pytest.raises(openai.RateLimitError):
        ask(client, "Say OK")
    assert ask(client, "Say OK")[1] > 0


# stripe's HTTPXClient hands httpx its form body as `data=str`, which httpx deprecates.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
@pytest.mark.contract("stripe/checkout_session_create")
def test_buy_credits_opens_a_checkout_session(contracts_httpx: object) -> None:
    # Stripe's HTTPXClient builds its own httpx clients from the module it is given.
    http_client = stripe.HTTPXClient(allow_sync_methods=True, _lib=contracts_httpx)
    client = stripe.StripeClient(
        "sk_test_placeholder", http_client=http_client, max_network_retries=0
    )

    session = buy_credits(client, amount=500)

    assert session.id.startswith("cs_")
    assert session.url.startswith("https://")
    assert session.status == "open"
