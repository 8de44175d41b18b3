from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import orjson
import pytest
import stripe

from provider_contracts.cassettes.cassette import read
from provider_contracts.errors import UnmatchedRequest
from provider_contracts.live.forward import Forwarder
from provider_contracts.live.transports import AsyncLiveTransport, LiveTransport
from provider_contracts.project import project
from provider_contracts.pytest_plugin import ContractsHttpx
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.transports import (
    AsyncReplayTransport,
    ReplayTransport,
)
from support.paths import REPO as _REPO
from support.provider_server import ProviderServer

REPO = _REPO
ACME = "https://api.acme.test/v1"
OPENROUTER = "https://openrouter.ai/api/v1"
# stripe's HTTPXClient hands httpx its form body as `data=str`, which httpx deprecates.
STRIPE_DATA_WARNING = "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"


def replayer(root: Path, *names: str, interaction: str | int | None = None) -> Replayer:
    return Replayer(candidates(project(root), [Selection(n, interaction) for n in names]))


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    running = ProviderServer().start()
    yield running
    running.stop()


def test_a_plain_client_gets_the_recorded_answer(sample: Path) -> None:
    recorded = read(sample / "cassettes/acme/chat.json").interactions[0].response
    with httpx.Client(
        base_url=ACME, transport=ReplayTransport(replayer(sample, "acme/chat"))
    ) as client:
        response = client.post("/chat/completions", json={"model": "tiny"})
    assert response.status_code == recorded.status
    assert response.reason_phrase == recorded.reason
    assert response.json() == recorded.body.value
    assert response.headers["x-request-id"] == recorded.headers["X-Request-Id"][0]


def test_a_stream_arrives_event_by_event(sample: Path) -> None:
    transport = ReplayTransport(replayer(sample, "acme/chat", "acme/chat_stream"))
    text = read(sample / "cassettes/acme/chat_stream.json").interactions[0].response.body.text
    with (
        httpx.Client(transport=transport) as client,
        client.stream("POST", f"{ACME}/chat/completions", json={"stream": True}) as response,
    ):
        chunks = list(response.iter_raw())
    assert response.headers["content-type"] == "text/event-stream"
    assert [c.decode() for c in chunks] == [e + "\n\n" for e in text.split("\n\n") if e]


def test_an_async_client_gets_the_stream_event_by_event(sample: Path) -> None:
    transport = AsyncReplayTransport(replayer(sample, "acme/chat_stream"))

    async def stream() -> list[bytes]:
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", f"{ACME}/chat/completions", json={"stream": True}) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    chunks = asyncio.run(stream())
    assert len(chunks) == 5 and chunks[-1] == b"data: [DONE]\n\n"


def test_an_async_client_gets_a_json_answer(sample: Path) -> None:
    transport = AsyncReplayTransport(replayer(sample, "acme/chat", interaction="unauthorized"))

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post(f"{ACME}/chat/completions", json={})

    assert asyncio.run(post()).status_code == 401


def test_the_openai_sdk_reads_a_recorded_completion_and_stream() -> None:
    transport = ReplayTransport(
        replayer(REPO, "openrouter/chat_completions", "openrouter/chat_completions_stream")
    )
    client = openai.OpenAI(
        base_url=OPENROUTER,
        api_key="test",
        http_client=httpx.Client(transport=transport),
        max_retries=0,
    )
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "Hi"}
    ]
    completion = client.chat.completions.create(model="openai/gpt-4o", messages=messages)
    chunks = list(
        client.chat.completions.create(model="openai/gpt-4o", messages=messages, stream=True)
    )

    first, second = transport.replayer.answered
    assert completion.id == orjson.loads(first.content)["id"]
    assert (
        completion.choices[0].message.content
        == orjson.loads(first.content)["choices"][0]["message"]["content"]
    )
    assert second.events is not None
    assert len(chunks) == sum(1 for e in second.events if e.startswith(b"data: {"))


@pytest.mark.filterwarnings(STRIPE_DATA_WARNING)
def test_the_stripe_sdk_reads_a_recorded_checkout_session() -> None:
    chosen = replayer(REPO, "stripe/checkout_session_create")
    lib = ContractsHttpx(ReplayTransport(chosen), AsyncReplayTransport(chosen))
    client = stripe.StripeClient(
        "sk_test_placeholder",
        http_client=stripe.HTTPXClient(allow_sync_methods=True, _lib=lib),
        max_network_retries=0,
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://gateway.example/ok",
            "line_items": [{"price": "price_1", "quantity": 1}],
        }
    )
    (answered,) = chosen.answered
    assert answered.success
    assert session.id == orjson.loads(answered.content)["id"]


def test_an_unmatched_request_never_leaves_the_process(
    sample: Path, server: ProviderServer
) -> None:
    transport = ReplayTransport(replayer(sample, "acme/chat"))
    with httpx.Client(transport=transport) as client, pytest.raises(UnmatchedRequest) as caught:
        client.get(f"{server.url}/v1/models")
    assert server.received == []
    assert "path: recorded /v1/chat/completions, got /v1/models" in str(caught.value)


def test_any_host_is_answered_under_the_manifest_path(sample: Path, server: ProviderServer) -> None:
    transport = ReplayTransport(replayer(sample, "acme/chat"))
    with httpx.Client(transport=transport) as client:
        response = client.post(f"{server.url}/v1/chat/completions", json={})
    assert response.status_code == 200 and server.received == []


# --- live ------------------------------------------------------------------------------


def completion() -> bytes:
    return orjson.dumps(
        read(REPO / "tests/data/sample/cassettes/acme/chat.json")
        .interactions[0]
        .response.body.value
    )


def live(sample: Path, server: ProviderServer, key: str = "sk-acme-secret") -> Forwarder:
    environ = {"ACME_API_KEY": key, "CONTRACTS_BASE_URL_ACME": f"{server.url}/v1"}
    return Forwarder(project(sample), ["acme/chat", "acme/chat_stream"], environ)


def test_live_mode_sends_the_request_with_the_key_to_the_base_url(
    sample: Path, server: ProviderServer
) -> None:
    server.headers = {"Content-Type": "application/json", "X-Request-Id": "req_9"}
    server.body = completion()
    forwarder = live(sample, server)
    with httpx.Client(transport=LiveTransport(forwarder)) as client:
        response = client.post(
            f"{ACME}/chat/completions?trace=1",
            json={"model": "tiny"},
            headers={"Authorization": "Bearer test"},
        )
    (received,) = server.received
    assert (received.method, received.path) == ("POST", "/v1/chat/completions?trace=1")
    assert received.headers["authorization"] == "Bearer sk-acme-secret"
    assert orjson.loads(received.body) == {"model": "tiny"}
    assert response.json() == orjson.loads(server.body)
    assert forwarder.broken == []


def test_live_mode_keeps_an_answer_that_breaks_its_contract(
    sample: Path, server: ProviderServer
) -> None:
    server.headers = {"Content-Type": "application/json"}  # no X-Request-Id
    server.body = completion()
    forwarder = live(sample, server)
    with httpx.Client(transport=LiveTransport(forwarder)) as client:
        assert client.post(f"{ACME}/chat/completions", json={}).status_code == 200
    (broken,) = forwarder.broken
    assert broken.endpoint == "acme/chat"
    assert "x-request-id" in broken.message


def test_live_mode_hands_on_a_stream_event_by_event(sample: Path, server: ProviderServer) -> None:
    text = read(sample / "cassettes/acme/chat_stream.json").interactions[0].response.body.text
    server.headers = {"Content-Type": "text/event-stream"}
    server.chunks = [text.encode()]
    forwarder = live(sample, server)

    async def stream() -> list[bytes]:
        async with (
            httpx.AsyncClient(transport=AsyncLiveTransport(forwarder)) as client,
            client.stream("POST", f"{ACME}/chat/completions", json={"stream": True}) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    chunks = asyncio.run(stream())
    assert b"".join(chunks) == text.encode() and len(chunks) == 5
    assert forwarder.broken == []


def test_live_mode_refuses_a_request_outside_the_marked_endpoints(
    sample: Path, server: ProviderServer
) -> None:
    forwarder = live(sample, server)
    with (
        httpx.Client(transport=LiveTransport(forwarder)) as client,
        pytest.raises(UnmatchedRequest),
    ):
        client.get(f"{ACME}/models")
    assert server.received == [] and len(forwarder.misses) == 1
