"""A gateway's calls to its providers, written as the gateway's own code writes them.

`complete` asks an OpenAI-compatible chat endpoint (OpenRouter, Portkey, OpenAI) for an
answer through an httpx client; `ask` and `stream` do the same through the openai SDK,
which needs two errors handled by hand (below); `buy_credits` opens a Stripe Checkout
Session. Their tests (`test_gateway.py`) replay the recorded provider answers into these
very clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import openai
import stripe

__all__ = ["CheckoutSession", "ProviderError", "ask", "buy_credits", "complete", "stream"]

MODEL = "openai/gpt-4o-mini"
SUCCESS_URL = "https://gateway.example/credits/thanks"


class ProviderError(Exception):
    """The provider answered with an error, whatever the HTTP status said; `partial` is
    what a stream had delivered before it."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str
    status: str


def complete(client: httpx.Client, prompt: str, model: str = MODEL) -> tuple[str, int]:
    """The answer to one user prompt and the tokens it cost: (content, total_tokens).

    `client` has the provider's base URL (e.g. https://openrouter.ai/api/v1) and key.
    """
    response = client.post(
        "/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": prompt}]},
    )
    body: Any = response.json()
    # OpenRouter answers HTTP 200 with {"error": ...} when the upstream model fails.
    if response.is_error or "error" in body:
        error = body.get("error") or {}
        raise ProviderError(f"{response.status_code}: {error.get('message', 'no message')}")
    content = body["choices"][0]["message"]["content"] or ""
    return content, int(body["usage"]["total_tokens"])


def ask(client: openai.OpenAI, prompt: str, model: str = MODEL) -> tuple[str, int]:
    """`complete` through the openai SDK (an `openai.OpenAI` with the provider's base URL).

    OpenRouter's error under HTTP 200 parses as a completion without raising: the SDK keeps
    the unknown `error` field in `model_extra`, so the gateway looks there.
    """
    completion = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}]
    )
    error = (completion.model_extra or {}).get("error")
    if error:
        raise ProviderError(f"200: {error.get('message', 'no message')}")
    usage = completion.usage.total_tokens if completion.usage else 0
    return completion.choices[0].message.content or "", usage


def stream(client: openai.OpenAI, prompt: str, model: str = MODEL) -> str:
    """The streamed answer, joined.

    OpenRouter reports a failure after the first tokens (a 429 from the upstream, say) as
    a chunk carrying `error` under the 200 already sent. The openai SDK raises that as a
    bare `openai.APIError` without a status; the provider's code is in its body.
    """
    parts: list[str] = []
    try:
        for chunk in client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], stream=True
        ):
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
    except openai.APIStatusError:
        raise  # an HTTP error status before the stream: the SDK's own classes say it
    except openai.APIError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        code, message = body.get("code", "stream"), body.get("message", exc.message)
        raise ProviderError(f"{code}: {message}", partial="".join(parts)) from exc
    return "".join(parts)


def buy_credits(
    stripe_client: stripe.StripeClient, amount: int, success_url: str = SUCCESS_URL
) -> CheckoutSession:
    """A hosted Checkout Session for `amount` cents of gateway credits."""
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "product_data": {"name": "Gateway credits"},
                        "unit_amount": amount,
                    },
                    "quantity": 1,
                }
            ],
            "success_url": success_url,
        }
    )
    return CheckoutSession(id=session.id, url=session.url or "", status=session.status or "")
