"""Faults in the provider's own envelope: what `--alter status:N` answers.

A gateway learns a provider's error shape from what it is tested against, so a simulated
error must look like the provider's: its body, its headers, its request ids. The answer
is taken from the provider's recorded errors, nearest first:

1. a recorded error with that status, from the endpoint asked, then from any endpoint of
   the provider: sent as recorded (its `Retry-After`, rate-limit headers, request id);
2. else a recorded error of the same class (4xx, 5xx), then any recorded error, with its
   status-bound fields moved to the new status: a numeric `code` or `status` equal to the
   old status, the message, the error `type` where the provider documents one per status
   (`ERROR_TYPES`), and a string `code` that named the old error (cleared: null or
   left out, whichever the endpoint's contract accepts);
3. a provider with no recorded error gets `{"error": {"code": N, "message": ...}}`.

`status:N:SECS` sets `Retry-After: SECS` on any of them.
"""

from __future__ import annotations

import copy
import http
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..contract.registry import Endpoint
from ..contract.validation import validate_response
from .playback import Recording

__all__ = ["ERROR_TYPES", "Canned", "error_answer"]

SIMULATED = "{phrase}: simulated by the replay server (--alter {spec})"
# The error `type` each provider documents per status (Anthropic: docs.claude.com/en/api/
# errors and its SDK's error_type.py; OpenAI: platform.openai.com/docs/guides/error-codes;
# Stripe: docs.stripe.com/api/errors). Used only when no recorded error has the status.
ERROR_TYPES: dict[str, dict[int, str]] = {
    "anthropic": {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        500: "api_error",
        503: "api_error",
        504: "timeout_error",
        529: "overloaded_error",
    },
    "openai": {
        400: "invalid_request_error",
        401: "invalid_request_error",
        403: "invalid_request_error",
        404: "invalid_request_error",
        429: "requests",
        500: "server_error",
        503: "server_error",
    },
    "stripe": {
        400: "invalid_request_error",
        401: "invalid_request_error",
        402: "card_error",
        403: "invalid_request_error",
        404: "invalid_request_error",
        429: "invalid_request_error",
        500: "api_error",
        503: "api_error",
    },
}
ERROR_TYPES["portkey"] = ERROR_TYPES["openai"]  # Portkey passes OpenAI's errors through
# Fields of a Stripe card error that describe the declined payment, not the status.
_CARD_ONLY = frozenset({"charge", "decline_code", "payment_intent", "payment_method", "doc_url"})
_RETRY_AFTER = "retry-after"


@dataclass(frozen=True, slots=True)
class Canned:
    """An answer made up by the replay (a fault), shaped like a `Recording` for sending."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    content: bytes
    events: tuple[bytes, ...] | None = None


def error_answer(
    endpoint: Endpoint,
    recorded: Sequence[Recording],
    status: int,
    seconds: float | None,
    spec: str,
) -> Canned:
    """The answer to `status:N` for this endpoint, from its provider's recordings."""
    phrase = _phrase(status)
    message = SIMULATED.format(phrase=phrase, spec=spec)
    template = _template(endpoint, recorded, status)
    if template is None:
        body: Any = {"error": {"code": status, "message": message}}
        headers = [("Content-Type", "application/json")]
    else:
        body = template.interaction.response.body.value
        headers = list(template.headers)
        if template.status != status:
            body = _moved(copy.deepcopy(body), template.status, status, endpoint.provider, message)
            body = _conforming(endpoint, status, body)
            headers = [(k, v) for k, v in headers if k.lower() != _RETRY_AFTER]
    if seconds is not None:
        retry = str(int(seconds)) if seconds == int(seconds) else str(seconds)
        headers = [(k, v) for k, v in headers if k.lower() != _RETRY_AFTER]
        headers.append(("Retry-After", retry))
    return Canned(status, phrase, tuple(headers), orjson.dumps(body))


def _conforming(endpoint: Endpoint, status: int, body: Any) -> Any:
    """The body with a cleared `code` as the contract has it: null (OpenAI's envelope
    requires it, nullable) or left out (Stripe's has it optional, never null)."""
    node = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(node, dict) and "code" in node and node["code"] is None):
        return body
    if validate_response(endpoint, status, orjson.dumps(body)).ok:
        return body
    del node["code"]
    return body


def _phrase(status: int) -> str:
    if status == 529:
        return "Overloaded"  # Anthropic's; not in the HTTP registry
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _template(endpoint: Endpoint, recorded: Sequence[Recording], status: int) -> Recording | None:
    errors = [
        r
        for r in recorded
        if r.status >= 400 and r.interaction.response.body.kind == "json" and r.events is None
    ]
    own = [r for r in errors if r.endpoint == endpoint.id]
    ranked = (
        [r for r in own if r.status == status],
        [r for r in errors if r.status == status],
        [r for r in own if r.status // 100 == status // 100],
        [r for r in errors if r.status // 100 == status // 100],
        own,
        errors,
    )
    return next((found[0] for found in ranked if found), None)


def _moved(body: Any, old: int, new: int, provider: str, message: str) -> Any:
    """A recorded error body re-addressed to another status (see the module's doc)."""
    if not isinstance(body, dict):
        return body
    error = body.get("error")
    node: dict[str, Any] = error if isinstance(error, dict) else body
    for key in ("code", "status"):
        if node.get(key) == old and not isinstance(node.get(key), bool):
            node[key] = new
    if isinstance(node.get("code"), str):  # it named the old error
        node["code"] = None
    if "message" in node:
        node["message"] = message
    kind = ERROR_TYPES.get(provider, {}).get(new)
    if kind is not None and isinstance(node.get("type"), str):
        node["type"] = kind
    if new != 402:
        for key in _CARD_ONLY & node.keys():
            del node[key]
    return body
