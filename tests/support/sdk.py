"""The official SDKs a gateway uses, driven against replayed interactions (`tests/sdk/`).

A `Way` is how the SDK reaches the replay: `serve` (the replay server on 127.0.0.1, the
interaction asked for with `X-Contracts-Interaction`) or `plugin` (the plugin's transport
with the interaction selected, nothing leaving the process). A driver makes the call a
gateway makes for one endpoint and returns what the SDK handed back, fully consumed.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anthropic
import httpx
import httpx2
import openai
import stripe

from provider_contracts.cassettes.cassette import Interaction
from provider_contracts.replay.transports import ReplayTransport

OPENAI_FAMILY = frozenset({"openai", "openrouter", "portkey"})


@dataclass(frozen=True)
class Way:
    name: str  # "serve" or "plugin"
    base_url: str  # the provider's base URL, as its manifest has it (ends with /v1)
    headers: dict[str, str] = field(default_factory=dict)
    transport: ReplayTransport | None = None


def sdk_of(provider: str) -> str:
    """The SDK a gateway would use for this provider."""
    return "openai" if provider in OPENAI_FAMILY else provider


def _root(base_url: str) -> str:
    # anthropic and stripe add `/v1` themselves.
    return base_url.removesuffix("/v1")


def openai_client(way: Way) -> openai.OpenAI:
    client = httpx2.Client(transport=way.transport) if way.transport is not None else None
    return openai.OpenAI(
        api_key="test",
        base_url=way.base_url,
        default_headers=way.headers,
        http_client=client,
        max_retries=0,
    )


def anthropic_client(way: Way) -> anthropic.Anthropic:
    client = httpx2.Client(transport=way.transport) if way.transport is not None else None
    return anthropic.Anthropic(
        api_key="test",
        base_url=_root(way.base_url),
        default_headers=way.headers,
        http_client=client,
        max_retries=0,
    )


def stripe_client(way: Way) -> stripe.StripeClient:
    options: dict[str, Any] = {"headers": way.headers}
    if way.transport is not None:
        options["transport"] = way.transport
    lib = types.SimpleNamespace(
        Client=functools.partial(httpx.Client, **options),
        AsyncClient=functools.partial(httpx.AsyncClient, **options),
    )
    return stripe.StripeClient(
        "sk_test_placeholder",
        base_addresses={"api": _root(way.base_url)},
        http_client=stripe.HTTPXClient(allow_sync_methods=True, _lib=lib),
        max_network_retries=0,
    )


# --- what the recorded request asked ------------------------------------------------------


def _json(interaction: Interaction) -> dict[str, Any]:
    body = interaction.request.body
    return dict(body.value) if body.kind == "json" and isinstance(body.value, dict) else {}


def _last_segment(interaction: Interaction) -> str:
    return urlsplit(interaction.request.uri).path.rstrip("/").rpartition("/")[2]


def _query(interaction: Interaction) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(interaction.request.uri).query))


# --- drivers: one call each, consumed to the end -----------------------------------------


def chat(way: Way, interaction: Interaction) -> Any:
    body = _json(interaction)
    model, messages = body.pop("model", "gpt-4o-mini"), body.pop("messages", [])
    body.pop("stream", None)
    with openai_client(way) as client:
        return client.chat.completions.create(model=model, messages=messages, extra_body=body)


def chat_stream(way: Way, interaction: Interaction) -> list[Any]:
    body = _json(interaction)
    model, messages = body.pop("model", "gpt-4o-mini"), body.pop("messages", [])
    body.pop("stream", None)
    with openai_client(way) as client:
        chunks = client.chat.completions.create(
            model=model, messages=messages, stream=True, extra_body=body
        )
        return list(chunks)


def models(way: Way, interaction: Interaction) -> list[Any]:
    with openai_client(way) as client:
        return list(client.models.list())


def raw_get(path: str) -> Callable[[Way, Interaction], Any]:
    """An OpenRouter endpoint the openai SDK has no method for: its generic `get`."""

    def drive(way: Way, interaction: Interaction) -> Any:
        params = _query(interaction)
        with openai_client(way) as client:
            return client.get(path, cast_to=object, options={"params": params})

    return drive


def messages(way: Way, interaction: Interaction) -> anthropic.types.Message:
    body = _json(interaction)
    model, max_tokens = body.pop("model", "claude-x"), body.pop("max_tokens", 16)
    sent = body.pop("messages", [])
    with anthropic_client(way) as client:
        return client.messages.create(
            model=model, max_tokens=max_tokens, messages=sent, extra_body=body
        )


def messages_stream(way: Way, interaction: Interaction) -> tuple[str, anthropic.types.Message]:
    body = _json(interaction)
    model, max_tokens = body.pop("model", "claude-x"), body.pop("max_tokens", 16)
    sent = body.pop("messages", [])
    body.pop("stream", None)
    with (
        anthropic_client(way) as client,
        client.messages.stream(
            model=model, max_tokens=max_tokens, messages=sent, extra_body=body
        ) as stream,
    ):
        text = "".join(stream.text_stream)
        return text, stream.get_final_message()


CHECKOUT = {
    "mode": "payment",
    "success_url": "https://gateway.example/ok",
    "line_items": [{"price": "price_1", "quantity": 1}],
}


def _stripe(call: Callable[[stripe.StripeClient, Interaction], Any]) -> Callable[..., Any]:
    def drive(way: Way, interaction: Interaction) -> Any:
        client = stripe_client(way)
        try:
            return call(client, interaction)
        finally:
            client._requestor._client.close()  # type: ignore[union-attr]

    return drive


DRIVERS: dict[str, Callable[[Way, Interaction], Any]] = {
    "chat_completions": chat,
    "chat_completions_stream": chat_stream,
    "models": models,
    "credits": raw_get("/credits"),
    "generation": raw_get("/generation"),
    "key": raw_get("/key"),
    "anthropic/messages": messages,
    "anthropic/messages_stream": messages_stream,
    "stripe/checkout_session_create": _stripe(
        lambda c, i: c.v1.checkout.sessions.create(params=CHECKOUT)  # type: ignore[arg-type]
    ),
    "stripe/checkout_session_retrieve": _stripe(
        lambda c, i: c.v1.checkout.sessions.retrieve(_last_segment(i))
    ),
    "stripe/customer_create": _stripe(
        lambda c, i: c.v1.customers.create(params={"email": "a@example.com"})
    ),
    "stripe/event_retrieve": _stripe(lambda c, i: c.v1.events.retrieve(_last_segment(i))),
    "stripe/events_list": _stripe(
        lambda c, i: c.v1.events.list(params={"limit": int(_query(i).get("limit", 10))})
    ),
    "stripe/payment_intent_create": _stripe(
        lambda c, i: c.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    ),
    "stripe/payment_intent_retrieve": _stripe(
        lambda c, i: c.v1.payment_intents.retrieve(_last_segment(i))
    ),
}


def driver(endpoint_id: str) -> Callable[[Way, Interaction], Any] | None:
    """The driver for `PROVIDER/ENDPOINT`: by id, else by name within the openai family."""
    provider, _, name = endpoint_id.partition("/")
    if endpoint_id in DRIVERS:
        return DRIVERS[endpoint_id]
    return DRIVERS.get(name) if provider in OPENAI_FAMILY else None


# --- the exception class an SDK raises for a status ---------------------------------------

OPENAI_ERRORS: dict[int, type[Exception]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}
ANTHROPIC_ERRORS: dict[int, type[Exception]] = {
    400: anthropic.BadRequestError,
    401: anthropic.AuthenticationError,
    402: anthropic.PaymentRequiredError,
    403: anthropic.PermissionDeniedError,
    404: anthropic.NotFoundError,
    413: anthropic.RequestTooLargeError,
    429: anthropic.RateLimitError,
    500: anthropic.InternalServerError,
    503: anthropic.ServiceUnavailableError,
    529: anthropic.OverloadedError,
}
STRIPE_ERRORS: dict[int, type[Exception]] = {
    400: stripe.InvalidRequestError,
    401: stripe.AuthenticationError,
    402: stripe.CardError,
    403: stripe.PermissionError,
    404: stripe.InvalidRequestError,
    429: stripe.RateLimitError,
}


def expected_error(sdk: str, status: int) -> type[Exception]:
    """The exception class the SDK documents for an error status."""
    if sdk == "openai":
        fallback = openai.InternalServerError if status >= 500 else openai.APIStatusError
        return OPENAI_ERRORS.get(status, fallback)
    if sdk == "anthropic":
        fallback = anthropic.InternalServerError if status >= 500 else anthropic.APIStatusError
        return ANTHROPIC_ERRORS.get(status, fallback)
    return STRIPE_ERRORS.get(status, stripe.APIError)


def status_of(error: Exception) -> int | None:
    """The HTTP status an SDK error carries."""
    found = getattr(error, "status_code", None)
    if found is None:
        found = getattr(error, "http_status", None)
    return found if isinstance(found, int) else None
