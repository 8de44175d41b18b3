"""A gateway's calls to its providers, written as the gateway's own code writes them.

`complete` asks an OpenAI-compatible chat endpoint (OpenRouter, Portkey, OpenAI) for an
answer through an httpx client; `buy_credits` opens a Stripe Checkout Session. Their
tests (`test_gateway.py`) replay the recorded provider answers into these very clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import stripe

__all__ = ["CheckoutSession", "ProviderError", "buy_credits", "complete"]

MODEL = "openai/gpt-4o-mini"
SUCCESS_URL = "https://gateway.example/credits/thanks"


class ProviderError(Exception):
    """The provider answered with an error, whatever the HTTP status said."""


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
