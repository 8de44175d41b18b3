"""httpx2 clients (anthropic 2.x, openai 3.x's default) served by the same transports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import httpx2
import openai
import orjson
import pytest
import stripe

from provider_contracts.cassettes.cassette import read
from provider_contracts.errors import UnmatchedRequest
from provider_contracts.live.forward import Forwarder
from provider_contracts.live.transports import LiveTransport
from provider_contracts.project import project
from provider_contracts.pytest_plugin import ContractsHttpx
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.transports import ReplayTransport, library, to_response
from support.paths import REPO
from support.provider_server import ProviderServer

ACME = "https://api.acme.test/v1"
ANTHROPIC = "https://api.anthropic.com"
OPENAI = "https://api.openai.com/v1"
STRIPE_DATA_WARNING = "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"
HELLO: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Hi"}]


def replayer(root: Path, *names: str, interaction: str | int | None = None) -> Replayer:
    return Replayer(candidates(project(root), [Selection(n, interaction) for n in names]))


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    running = ProviderServer().start()
    yield running
    running.stop()


def test_an_httpx2_client_gets_an_httpx2_response(sample: Path) -> None:
    recorded = read(sample / "cassettes/acme/chat.json").interactions[0].response
    transport = ReplayTransport(replayer(sample, "acme/chat"))
    with httpx2.Client(transport=transport) as client:
        response = client.post(f"{ACME}/chat/completions", json={"model": "tiny"})
    assert isinstance(response, httpx2.Response)
    assert response.json() == recorded.body.value
    assert response.reason_phrase == recorded.reason


def test_one_transport_serves_both_libraries_sync_and_async(sample: Path) -> None:
    transport = ReplayTransport(replayer(sample, "acme/chat_stream"))

    async def stream(lib: object) -> list[bytes]:
        async with (
            lib.AsyncClient(transport=transport) as client,  # type: ignore[attr-defined]
            client.stream("POST", f"{ACME}/chat/completions", json={"stream": True}) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    for lib in (httpx, httpx2):
        with (
            lib.Client(transport=transport) as client,  # type: ignore[attr-defined]
            client.stream("POST", f"{ACME}/chat/completions", json={"stream": True}) as response,
        ):
            chunks = list(response.iter_raw())
        assert chunks == asyncio.run(stream(lib))
        assert len(chunks) == 5 and chunks[-1] == b"data: [DONE]\n\n"


def test_an_unmatched_httpx2_request_is_refused(sample: Path) -> None:
    transport = ReplayTransport(replayer(sample, "acme/chat"))
    with httpx2.Client(transport=transport) as client, pytest.raises(UnmatchedRequest):
        client.get(f"{ACME}/models")


def test_anthropic_takes_the_transport_and_reads_a_message_and_a_stream() -> None:
    transport = ReplayTransport(replayer(REPO, "anthropic/messages", "anthropic/messages_stream"))
    # anthropic refuses any object with an httpx class in its ancestry; this one has none.
    client = anthropic.Anthropic(
        base_url=ANTHROPIC,
        api_key="test",
        http_client=anthropic.DefaultHttpxClient(transport=transport),
        max_retries=0,
    )
    message = client.messages.create(model="claude-x", max_tokens=16, messages=HELLO)
    with client.messages.stream(model="claude-x", max_tokens=16, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    first, second = transport.replayer.answered
    assert message.id == orjson.loads(first.content)["id"]
    assert isinstance(message, anthropic.types.Message)
    assert final.stop_reason is not None and text == "".join(
        block.text for block in final.content if block.type == "text"
    )
    assert second.events is not None


def test_anthropic_async_reads_a_message_over_httpx2() -> None:
    transport = ReplayTransport(replayer(REPO, "anthropic/messages"))

    async def ask() -> anthropic.types.Message:
        async with anthropic.AsyncAnthropic(
            base_url=ANTHROPIC,
            api_key="test",
            http_client=httpx2.AsyncClient(transport=transport),
            max_retries=0,
        ) as client:
            return await client.messages.create(model="claude-x", max_tokens=16, messages=HELLO)

    assert asyncio.run(ask()).type == "message"


def test_openai_reads_a_completion_over_either_library() -> None:
    for lib in (httpx, httpx2):
        transport = ReplayTransport(replayer(REPO, "openai/chat_completions"))
        client = openai.OpenAI(
            base_url=OPENAI,
            api_key="test",
            http_client=lib.Client(transport=transport),  # type: ignore[attr-defined]
            max_retries=0,
        )
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        (answered,) = transport.replayer.answered
        assert completion.id == orjson.loads(answered.content)["id"]


@pytest.mark.filterwarnings(STRIPE_DATA_WARNING)
def test_stripe_builds_its_clients_from_the_httpx2_namespace() -> None:
    chosen = replayer(REPO, "stripe/customer_create")
    lib = ContractsHttpx(ReplayTransport(chosen), lib="httpx2")
    client = stripe.StripeClient(
        "sk_test_placeholder",
        http_client=stripe.HTTPXClient(allow_sync_methods=True, _lib=lib),
        max_network_retries=0,
    )
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    (answered,) = chosen.answered
    assert customer.id == orjson.loads(answered.content)["id"]


def test_a_response_is_built_in_the_library_asked_for(sample: Path) -> None:
    chosen = replayer(sample, "acme/chat")
    recording = chosen.answer("POST", f"{ACME}/chat/completions", b"{}", "application/json")
    assert isinstance(to_response(recording, "httpx2"), httpx2.Response)
    assert isinstance(to_response(recording), httpx.Response)
    with pytest.raises(ValueError, match="'requests' is not a client library"):
        library("requests")


def test_live_mode_sends_an_httpx2_request_through_httpx2(
    sample: Path, server: ProviderServer
) -> None:
    server.headers = {"Content-Type": "application/json", "X-Request-Id": "req_9"}
    server.body = orjson.dumps(
        read(sample / "cassettes/acme/chat.json").interactions[0].response.body.value
    )
    environ = {"ACME_API_KEY": "sk-acme-secret", "CONTRACTS_BASE_URL_ACME": f"{server.url}/v1"}
    forwarder = Forwarder(project(sample), ["acme/chat"], environ)
    with LiveTransport(forwarder) as transport, httpx2.Client(transport=transport) as client:
        response = client.post(f"{ACME}/chat/completions", json={"model": "tiny"})

    async def again() -> httpx2.Response:
        async with httpx2.AsyncClient(transport=LiveTransport(forwarder)) as client:
            return await client.post(f"{ACME}/chat/completions", json={"model": "tiny"})

    assert isinstance(response, httpx2.Response)
    assert response.json() == orjson.loads(server.body)
    assert asyncio.run(again()).json() == orjson.loads(server.body)
    assert [r.headers["authorization"] for r in server.received] == ["Bearer sk-acme-secret"] * 2
    assert forwarder.broken == []
