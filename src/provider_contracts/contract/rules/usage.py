"""Usage arithmetic: the numbers a gateway bills from add up and are never negative.

Usage sits in the same places for every provider: `usage` at the top of an
OpenAI-compatible completion or chunk, an Anthropic Message or `message_delta` event, and
`message.usage` in a `message_start` event; OpenRouter's generation stats keep their
token counts flat in `data`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..violations import Violation
from .registry import broken, rule

Path = tuple[str | int, ...]

_OPENAI_USAGE = "OpenAI openapi.yaml CompletionUsage"
_ANTHROPIC_USAGE = "anthropic-sdk-python types/usage.py, cache_creation.py"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def usages(value: Any) -> list[tuple[Path, dict[str, Any]]]:
    """The usage objects of a body or event, with where they are."""
    found: list[tuple[Path, dict[str, Any]]] = []
    if isinstance(value, dict):
        usage = value.get("usage")
        if isinstance(usage, dict):
            found.append((("usage",), usage))
        message = value.get("message")
        if isinstance(message, dict) and isinstance(message.get("usage"), dict):
            found.append((("message", "usage"), message["usage"]))
    return found


_COUNTS = ("_tokens", "_requests")
_NOT_A_NEGATIVE: dict[str, Any] = {"if": {"type": "number"}, "then": {"minimum": 0}}
_A_COUNT: dict[str, Any] = {"type": ["null", "string", "integer"], "minimum": 0}
_COUNTS_HOLD: dict[str, Any] = {
    "$defs": {
        "counts": {
            "patternProperties": {"(_tokens|_requests)$": _A_COUNT},
            "additionalProperties": {"$ref": "#/$defs/counts"},
        }
    },
    "properties": {
        "usage": {"$ref": "#/$defs/counts"},
        "message": {"properties": {"usage": {"$ref": "#/$defs/counts"}}},
        "data": {"patternProperties": {"^(native_)?tokens_": _A_COUNT}},
    },
}


def _bad_counts(
    node: dict[str, Any], at: Path, found: list[Violation], prefixes: tuple[str, ...] = ()
) -> None:
    """Add to `found` each count in `node` (and the objects in it, unless `prefixes` names
    the counts) that is not null or a non-negative integer."""
    for key, item in node.items():
        if item.__class__ is int and item >= 0:
            continue
        if isinstance(item, dict):
            if not prefixes:
                _bad_counts(item, (*at, key), found)
            continue
        if item is None or isinstance(item, str):
            continue  # nullability and type are the schema's to judge
        counted = key.startswith(prefixes) if prefixes else key.endswith(_COUNTS)
        if counted and not (_number(item) and item >= 0 and item == int(item)):
            found.append(broken(f"{key} must be a non-negative whole count", (*at, key), item))


@rule(
    "token_counts_non_negative",
    scope="body",
    holds_if=_COUNTS_HOLD,
    reads=("usage", "message", "data"),
    what="Every token count in usage (`*_tokens`, in details and cache breakdowns too, and "
    "OpenRouter generation `tokens_*`/`native_tokens_*`) is null or an integer >= 0.",
    why="A gateway bills and rate-limits from these counts; a negative or fractional one "
    "credits the customer or corrupts quotas.",
    source=f"{_OPENAI_USAGE} (integers); OpenRouter openapi.yaml ChatUsage, "
    f"GenerationResponse (integer or null members); {_ANTHROPIC_USAGE}",
)
def token_counts_non_negative(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for at, usage in usages(value):
        _bad_counts(usage, at, found)
    data = value.get("data") if isinstance(value, dict) else None
    if isinstance(data, dict):
        _bad_counts(data, ("data",), found, ("tokens_", "native_tokens_"))
    return found


@rule(
    "total_is_prompt_plus_completion",
    scope="body",
    reads=("usage", "message"),
    what="`usage.total_tokens` equals `prompt_tokens + completion_tokens`.",
    why="A gateway that bills the total and one that bills the parts must agree; a "
    "mismatch mis-bills one of them.",
    source=f"{_OPENAI_USAGE}: total_tokens is 'Total number of tokens used in the request "
    "(prompt + completion)'; OpenRouter ChatUsage's example (10 + 15 = 25)",
)
def total_is_prompt_plus_completion(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for at, usage in usages(value):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        total = usage.get("total_tokens")
        if (
            isinstance(prompt, int)
            and isinstance(completion, int)
            and isinstance(total, int)
            and total != prompt + completion
        ):
            found.append(
                broken(
                    f"total_tokens {total} is not prompt_tokens {prompt} + completion_tokens "
                    f"{completion} ({prompt + completion})",
                    (*at, "total_tokens"),
                    total,
                )
            )
    return found


# A breakdown count and the count it is part of, as the provider documents it.
_PARTS = {
    "completion_tokens_details": (
        "completion_tokens",
        (
            "reasoning_tokens",
            "accepted_prediction_tokens",
            "rejected_prediction_tokens",
            "audio_tokens",
            "text_tokens",
        ),
    ),
    "prompt_tokens_details": (
        "prompt_tokens",
        ("cached_tokens", "audio_tokens", "text_tokens", "image_tokens"),
    ),
    "output_tokens_details": ("output_tokens", ("thinking_tokens",)),
}


@rule(
    "sub_counts_within_parent",
    scope="body",
    reads=("usage", "message"),
    what="A breakdown count does not exceed the count it breaks down (reasoning, prediction, "
    "audio and text tokens <= completion_tokens; cached, audio, text, image tokens <= "
    "prompt_tokens; Anthropic thinking tokens <= output_tokens), and Anthropic's "
    "`cache_creation` TTL breakdown sums to `cache_creation_input_tokens`.",
    why="A gateway that prices cached or reasoning tokens apart charges for tokens that "
    "were never part of the request when a part exceeds its whole.",
    source=f"{_OPENAI_USAGE} (reasoning and rejected prediction tokens 'counted in the total "
    "completion tokens'; cached tokens 'present in the prompt'); "
    f"{_ANTHROPIC_USAGE} ('Breakdown of cached tokens by TTL'; output_tokens "
    "'the inclusive, authoritative total')",
)
def sub_counts_within_parent(value: Any) -> list[Violation]:
    found: list[Violation] = []
    for at, usage in usages(value):
        for details_key, (parent_key, parts) in _PARTS.items():
            details, parent = usage.get(details_key), usage.get(parent_key)
            if not isinstance(details, dict) or not isinstance(parent, int):
                continue
            for part in parts:
                count = details.get(part)
                if isinstance(count, int) and count > parent:
                    found.append(
                        broken(
                            f"{part} {count} exceeds {parent_key} {parent}",
                            (*at, details_key, part),
                            count,
                        )
                    )
        breakdown, whole = usage.get("cache_creation"), usage.get("cache_creation_input_tokens")
        if isinstance(breakdown, dict) and isinstance(whole, int):
            counts = [n for n in breakdown.values() if isinstance(n, int)]
            if counts and sum(counts) != whole:
                found.append(
                    broken(
                        f"the cache_creation breakdown sums to {sum(counts)}, not "
                        f"cache_creation_input_tokens {whole}",
                        (*at, "cache_creation"),
                        breakdown,
                    )
                )
    return found


# OpenRouter money fields, in dollars. `cache_discount` is left out: OpenRouter documents
# it as a discount, which may be negative when a cache write costs more than it saves.
_OPENROUTER_COSTS = frozenset(
    {
        "cost",
        "total_cost",
        "upstream_inference_cost",
        "upstream_inference_prompt_cost",
        "upstream_inference_completions_cost",
        "total_credits",
        "total_usage",
        "usage",
        "usage_daily",
        "usage_weekly",
        "usage_monthly",
        "byok_usage",
        "byok_usage_daily",
        "byok_usage_weekly",
        "byok_usage_monthly",
    }
)


_COSTS_AT: dict[str, Any] = {"properties": {k: _NOT_A_NEGATIVE for k in sorted(_OPENROUTER_COSTS)}}
_USAGE_COSTS: dict[str, Any] = {
    "properties": {**_COSTS_AT["properties"], "cost_details": _COSTS_AT}
}
_COSTS_HOLD: dict[str, Any] = {
    "properties": {
        "usage": _USAGE_COSTS,
        "message": {"properties": {"usage": _USAGE_COSTS}},
        "data": _COSTS_AT,
    }
}


@rule(
    "costs_non_negative",
    scope="body",
    holds_if=_COSTS_HOLD,
    reads=("usage", "message", "data"),
    what="OpenRouter's dollar amounts are >= 0: `usage.cost` and `usage.cost_details`, "
    "generation `total_cost`/`usage`/`upstream_inference_cost`, credits, key usage.",
    why="A gateway passes these costs on to its customers and checks spending limits "
    "against them; a negative cost is a refund nobody made.",
    source="OpenRouter openapi.yaml ChatUsage, CostDetails, GenerationResponse, "
    "credits and key responses",
)
def costs_non_negative(value: Any) -> list[Violation]:
    found: list[Violation] = []
    if not isinstance(value, dict):
        return found
    places: list[tuple[Path, Any]] = [(at, usage) for at, usage in usages(value)]
    for at, usage in list(places):
        if isinstance(usage.get("cost_details"), dict):
            places.append(((*at, "cost_details"), usage["cost_details"]))
    if isinstance(value.get("data"), dict):
        places.append((("data",), value["data"]))
    for at, node in places:
        for key, amount in node.items():
            if key in _OPENROUTER_COSTS and _number(amount) and amount < 0:
                found.append(broken(f"{key} is a negative amount", (*at, key), amount))
    return found


# Stripe objects whose amounts are charges or totals, never credits (balances and
# balance transactions, which may be negative, are not listed).
_STRIPE_AMOUNTS = {
    "payment_intent": ("amount", "amount_capturable", "amount_received"),
    "charge": ("amount", "amount_captured", "amount_refunded"),
    "refund": ("amount",),
    "checkout.session": ("amount_subtotal", "amount_total"),
    "item": ("amount_subtotal", "amount_total", "amount_discount", "amount_tax"),
}
_TOTAL_DETAILS = ("amount_discount", "amount_shipping", "amount_tax")


@rule(
    "stripe_amounts_non_negative",
    scope="body",
    what="Stripe amounts are >= 0 wherever the object appears (events and lists included): "
    "PaymentIntent amount/amount_capturable/amount_received, Charge amount/captured/"
    "refunded, Refund amount, Checkout Session amount_subtotal/amount_total and "
    "total_details, line item amounts.",
    why="A gateway credits a customer's balance from these; a negative amount turns a "
    "payment into a withdrawal.",
    source="Stripe spec3.yaml (2023-08-16): payment_intent.amount 'A positive integer "
    "representing how much to charge', checkout.session, charge, refund, item",
)
def stripe_amounts_non_negative(value: Any, at: Path = ()) -> Iterator[Violation]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from stripe_amounts_non_negative(item, (*at, index))
        return
    if not isinstance(value, dict):
        return
    kind = value.get("object")
    for name in _STRIPE_AMOUNTS.get(kind, ()) if isinstance(kind, str) else ():
        if _number(value.get(name)) and value[name] < 0:
            yield broken(f"{name} is a negative amount", (*at, name), value[name])
    details = value.get("total_details") if kind == "checkout.session" else None
    if isinstance(details, dict):
        for name in _TOTAL_DETAILS:
            if _number(details.get(name)) and details[name] < 0:
                yield broken(
                    f"total_details.{name} is a negative amount",
                    (*at, "total_details", name),
                    details[name],
                )
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            yield from stripe_amounts_non_negative(item, (*at, key))
