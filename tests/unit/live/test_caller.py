"""Live calls: timeouts, retries with backoff and Retry-After, a deadline, what is kept.

Through `httpx.MockTransport` with a fake clock and sleep, so that waits are checked
without waiting; the same faults over a real socket are in test_record.py and test_live.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.errors import CouldNotVerify, InputError
from provider_contracts.live.caller import (
    GAVE_UP,
    PROBE_NAME,
    Caller,
    RetryPolicy,
    parse_retry_after,
)
from provider_contracts.live.probes import Probe, plan
from support.live import FAKE_STRIPE_KEY, make_project

KEY = "sk-or-v1-" + "ab" * 32
OK_CHAT = {"id": "gen-1", "object": "chat.completion", "choices": []}


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root = make_project(tmp_path_factory.mktemp("calls") / "project", "openrouter", "stripe")
    return Registry.load(root / "contracts")


def probe(registry: Registry, endpoint: str) -> Probe:
    provider_name, _, name = endpoint.partition("/")
    provider = registry.provider(provider_name)
    return next(p for p in plan(provider, [provider.endpoints[name]]) if p.wanted)


def answers(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler giving these answers in turn (an exception is raised), the last one forever."""
    queue: Iterator[httpx.Response | Exception] = iter(responses)
    last: list[httpx.Response | Exception] = [responses[-1]]

    def handle(request: httpx.Request) -> httpx.Response:
        item = next(queue, last[0])
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    return handle


def caller(
    registry: Registry,
    handler: Callable[[httpx.Request], httpx.Response],
    fake: FakeTime,
    provider: str = "openrouter",
    key: str = KEY,
    **policy: float,
) -> Caller:
    return Caller(
        registry.provider(provider),
        key,
        httpx.MockTransport(handler),
        RetryPolicy(**{"retries": 3, "backoff": 0.5, "max_wait": 5.0, **policy}),  # type: ignore[arg-type]
        sleep=fake.sleep,
        clock=fake.clock,
    )


def ok() -> httpx.Response:
    return httpx.Response(200, json=OK_CHAT)


# --- retries ---------------------------------------------------------------------------------


def test_a_429_is_retried_after_the_retry_after_it_names(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.Response(429, headers={"Retry-After": "2"}), ok())
    sent = caller(registry, handler, fake).send(probe(registry, "openrouter/chat_completions"))
    assert (sent.attempts, fake.waits) == (2, [2.0])
    assert sent.interaction.response.status == 200


def test_retry_after_is_capped(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    caller(registry, handler, fake).send(probe(registry, "openrouter/chat_completions"))
    assert fake.waits == [5.0]


def test_5xx_is_retried_with_exponential_backoff(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.Response(500), httpx.Response(502), httpx.Response(503), ok())
    sent = caller(registry, handler, fake).send(probe(registry, "openrouter/models"))
    assert (sent.attempts, fake.waits) == (4, [0.5, 1.0, 2.0])


def test_endless_5xx_could_not_be_verified_after_the_retries(registry: Registry) -> None:
    fake = FakeTime()
    with pytest.raises(CouldNotVerify) as raised:
        caller(registry, answers(httpx.Response(500)), fake).send(
            probe(registry, "openrouter/models")
        )
    assert str(raised.value) == GAVE_UP.format(
        endpoint="openrouter/models", reason="HTTP 500", attempts="4 attempts", elapsed=3.5
    )
    assert raised.value.exit_code == 3


def test_a_single_attempt_is_counted_in_the_singular(registry: Registry) -> None:
    fake = FakeTime()
    with pytest.raises(CouldNotVerify) as raised:
        caller(registry, answers(httpx.Response(500)), fake, retries=0).send(
            probe(registry, "openrouter/models")
        )
    assert "(1 attempt in " in str(raised.value)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "could not connect"),
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.RemoteProtocolError("peer closed"), "reset or closed early"),
        (httpx.ReadError("reset by peer"), "reset or closed early"),
    ],
    ids=["refused", "read-timeout", "closed-early", "reset"],
)
def test_transport_failures_are_retried_then_reported(
    registry: Registry, error: Exception, reason: str
) -> None:
    fake = FakeTime()
    with pytest.raises(CouldNotVerify, match=reason):
        caller(registry, answers(error), fake, retries=1).send(probe(registry, "openrouter/key"))
    assert fake.waits == [0.5]


def test_a_stream_cut_short_is_a_failed_attempt(registry: Registry) -> None:
    fake = FakeTime()
    cut = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b'data: {"id"')
    whole = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=b"data: [DONE]\n\n"
    )
    sent = caller(registry, answers(cut, whole), fake).send(
        probe(registry, "openrouter/chat_completions_stream")
    )
    assert sent.attempts == 2


def test_a_client_error_is_an_answer_not_a_retry(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.Response(404, json={"error": {"code": 404, "message": "no"}}))
    sent = caller(registry, handler, fake).send(probe(registry, "openrouter/generation"))
    assert (sent.attempts, sent.interaction.response.status) == (1, 404)


def test_a_refused_key_is_bad_input(registry: Registry) -> None:
    handler = answers(httpx.Response(401, json={"error": {"code": 401, "message": "no"}}))
    with pytest.raises(InputError, match="the key in OPENROUTER_API_KEY was refused"):
        caller(registry, handler, FakeTime()).send(probe(registry, "openrouter/key"))


def test_no_retry_starts_that_would_end_past_the_deadline(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.Response(429, headers={"Retry-After": "4"}))
    with pytest.raises(CouldNotVerify, match="the 3s deadline would pass"):
        caller(registry, handler, fake, deadline=3.0).send(probe(registry, "openrouter/key"))
    assert fake.waits == []


# --- Retry-After --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Sun, 22 Nov 2026 00:00:30 GMT", 30.0),
        ("soon", None),
        (None, None),
        ("nan", None),
    ],
    ids=["seconds", "fraction", "negative", "http-date", "garbage", "absent", "nan"],
)
def test_retry_after_is_read_as_seconds_or_a_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=datetime(2026, 11, 22, tzinfo=UTC)) == seconds


# --- what is kept -----------------------------------------------------------------------------


def test_the_interaction_keeps_the_probe_the_auth_header_and_the_answer(registry: Registry) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=OK_CHAT, headers={"X-Request-Id": "r1"})

    sent = caller(registry, handle, FakeTime()).send(probe(registry, "openrouter/chat_completions"))
    request = sent.interaction.request
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert set(request.headers) == {"Authorization", "Content-Type"}
    assert request.body.value["max_tokens"] == 1
    assert request.uri == "https://openrouter.ai/api/v1/chat/completions"
    assert sent.interaction.name == PROBE_NAME
    assert sent.interaction.response.body.value == OK_CHAT
    assert "content-length" not in {k.lower() for k in sent.interaction.response.headers}


# --- Stripe, through its SDK ------------------------------------------------------------------


def test_stripe_is_called_through_its_sdk_with_a_form_body(registry: Registry) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "cs_test_1", "object": "checkout.session"})

    sent = caller(registry, handle, FakeTime(), provider="stripe", key=FAKE_STRIPE_KEY).send(
        probe(registry, "stripe/checkout_session_create")
    )
    assert "stripe" in seen[0].headers["user-agent"].lower()
    assert seen[0].headers["stripe-version"] == "2023-08-16"
    assert b"mode=payment" in seen[0].content
    assert set(sent.interaction.request.headers) == {
        "Authorization",
        "Content-Type",
        "Stripe-Version",
    }


def test_stripe_errors_are_judged_like_any_answer(registry: Registry) -> None:
    fake = FakeTime()
    rate_limited = httpx.Response(429, json={"error": {"type": "rate_limit"}})
    handler = answers(rate_limited, httpx.Response(200, json={"object": "list", "data": []}))
    sent = caller(registry, handler, fake, provider="stripe", key=FAKE_STRIPE_KEY).send(
        probe(registry, "stripe/events_list")
    )
    assert (sent.attempts, fake.waits) == (2, [0.5])
    assert orjson.loads(sent.interaction.response.body.raw)["object"] == "list"


def test_a_stripe_connection_failure_is_retried(registry: Registry) -> None:
    fake = FakeTime()
    handler = answers(httpx.ReadError("reset"), httpx.Response(200, json={"object": "list"}))
    sent = caller(registry, handler, fake, provider="stripe", key=FAKE_STRIPE_KEY).send(
        probe(registry, "stripe/events_list")
    )
    assert sent.attempts == 2


def test_policy_waits_double_and_are_capped() -> None:
    policy = RetryPolicy(backoff=1.0, max_wait=3.0)
    assert [policy.wait(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]
