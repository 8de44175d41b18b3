"""Stripe contracts: the fixture objects pass; objects that would break a billing flow fail.

The passing bodies are the cassette bodies: stripe/openapi fixtures3.json objects (current,
2026) turned into interactions, and error bodies built from the 2023-08-16 spec's `error`
schema (each interaction's `source` says which). The failing ones change one thing each.
"""

from __future__ import annotations

from typing import Any

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.validation import BodyResult
from support.bodies import (
    CASSETTES,
    CONTRACTS,
    Change,
    assert_violation,
    at_path,
    describe,
    interaction_params,
    interactions,
    removing,
    response,
    setting,
    validate,
)

REGISTRY = Registry.load(CONTRACTS)
ENDPOINTS = (
    "checkout_session_create",
    "checkout_session_retrieve",
    "customer_create",
    "payment_intent_create",
    "payment_intent_retrieve",
    "event_retrieve",
    "events_list",
)


def check(endpoint: str, status: int, body: Any) -> BodyResult:
    return validate(REGISTRY.endpoint(f"stripe/{endpoint}"), body, status)


def fixture(endpoint: str, name_starts: str, path: str = "") -> Any:
    """A body (or part of one) from another cassette, to put where it does not belong."""
    return at_path(response("stripe", endpoint, name_starts)[1], path)


# --- the recorded interactions pass ------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "interaction"), interaction_params("stripe", ENDPOINTS))
def test_a_stripe_interaction_holds_to_its_contract(
    endpoint: str, interaction: dict[str, Any]
) -> None:
    resp = interaction["response"]
    status = resp["status"]["code"]
    result = check(endpoint, status, resp["body"]["json"])
    assert result.violations == (), describe(result)
    assert result.branch == ("success" if status < 300 else "error")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_stripe_endpoint_has_a_cassette_with_a_success_and_the_error_schema_for_4xx_and_5xx(
    endpoint: str,
) -> None:
    statuses = [i["response"]["status"]["code"] for i in interactions("stripe", endpoint)]
    assert any(200 <= s < 300 for s in statuses)
    ep = REGISTRY.endpoint(f"stripe/{endpoint}")
    for status in (400, 402, 404, 429, 500):
        ref = ep.schema_for(status)
        assert ref is not None and ref.file == "stripe/schemas/error.schema.json"


@pytest.mark.parametrize(
    ("endpoint", "interaction", "mutate"),
    [
        pytest.param(
            "checkout_session_retrieve",
            "completed session",
            setting("status", None),
            id="a checkout session with status null (nullable in the 2023 spec)",
        ),
        pytest.param(
            "checkout_session_retrieve",
            "completed session",
            setting("customer", fixture("customer_create", "customer created")),
            id="a checkout session with its customer expanded",
        ),
        pytest.param(
            "checkout_session_retrieve",
            "completed session",
            setting(
                "customer", {"id": "cus_QXg1o8vcGmoR32", "object": "customer", "deleted": True}
            ),
            id="a checkout session whose customer was deleted",
        ),
        pytest.param(
            "checkout_session_retrieve",
            "completed session",
            setting("payment_intent", fixture("payment_intent_retrieve", "succeeded intent")),
            id="a checkout session with its payment_intent expanded",
        ),
        pytest.param(
            "customer_create",
            "customer created",
            setting("brand_new_field", {"anything": 1}),
            id="a customer with a field Stripe added later",
        ),
        pytest.param(
            "payment_intent_retrieve",
            "succeeded intent",
            setting("latest_charge", {"id": "ch_3PgafyB7WZ01zgkW0mVa3mNs", "object": "charge"}),
            id="a payment intent with latest_charge expanded",
        ),
        pytest.param(
            "event_retrieve",
            "plan.created",
            setting("type", "billing.meter.created"),
            id="an event of a type the billing flow does not handle, carrying any object",
        ),
        pytest.param(
            "event_retrieve",
            "checkout.session.completed",
            setting("data.previous_attributes", {"status": "open"}),
            id="an event with previous_attributes",
        ),
        pytest.param(
            "events_list",
            "three billing events",
            setting("data", []),
            id="an empty page of events",
        ),
    ],
)
def test_a_shape_stripe_documents_passes(endpoint: str, interaction: str, mutate: Change) -> None:
    status, body = response("stripe", endpoint, interaction)
    result = check(endpoint, status, mutate(body))
    assert result.violations == (), describe(result)


# --- objects that would break a billing flow fail --------------------------------------------

OPEN = "payment-mode session created"
DONE = "completed session"
CUSTOMER = "customer created"
NEW_PI = "unconfirmed intent"
PAID_PI = "succeeded intent"
CARD_ERROR = "402 card_error"
EVENT = "checkout.session.completed"
EVENTS = "three billing events"

BROKEN = [
    # checkout.session
    pytest.param(
        "checkout_session_create",
        OPEN,
        removing("url"),
        "",
        "url",
        id="checkout session without the url to redirect to",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("url", 42),
        "/url",
        "",
        id="checkout session url as a number",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("status", "pending"),
        "/status",
        "pending",
        id="checkout session status outside open, complete, expired",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("payment_status", "processing"),
        "/payment_status",
        "processing",
        id="checkout session payment_status outside paid, unpaid, no_payment_required",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("object", "checkout_session"),
        "/object",
        "",
        id="checkout session object name changed",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("mode", "one_time"),
        "/mode",
        "one_time",
        id="checkout session in an unknown mode",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        setting("amount_total", "100"),
        "/amount_total",
        "",
        id="checkout session amount_total as a string",
    ),
    pytest.param(
        "checkout_session_create",
        OPEN,
        removing("id"),
        "",
        "id",
        id="checkout session without id",
    ),
    pytest.param(
        "checkout_session_retrieve",
        DONE,
        removing("payment_intent"),
        "",
        "payment_intent",
        id="checkout session without payment_intent",
    ),
    pytest.param(
        "checkout_session_retrieve",
        DONE,
        setting("customer", 12),
        "/customer",
        "",
        id="checkout session customer neither an id, an object nor null",
    ),
    pytest.param(
        "checkout_session_retrieve",
        DONE,
        setting("payment_intent", fixture("customer_create", CUSTOMER)),
        "/payment_intent",
        "",
        id="checkout session payment_intent expanded to a customer",
    ),
    pytest.param(
        "checkout_session_retrieve",
        DONE,
        setting("metadata", {"user_id": 7}),
        "/metadata/user_id",
        "string",
        id="checkout session metadata value that is not a string",
    ),
    # customer
    pytest.param(
        "customer_create",
        CUSTOMER,
        removing("email"),
        "",
        "email",
        id="customer without email",
    ),
    pytest.param(
        "customer_create",
        CUSTOMER,
        setting("object", "account"),
        "/object",
        "",
        id="customer whose object says account",
    ),
    pytest.param(
        "customer_create",
        CUSTOMER,
        setting("created", "2024-07-25T00:00:00Z"),
        "/created",
        "",
        id="customer created as a date string instead of a unix time",
    ),
    pytest.param(
        "customer_create",
        CUSTOMER,
        setting("metadata", None),
        "/metadata",
        "",
        id="customer metadata null",
    ),
    pytest.param(
        "customer_create",
        CUSTOMER,
        setting("tax_exempt", "partial"),
        "/tax_exempt",
        "partial",
        id="customer tax_exempt outside exempt, none, reverse",
    ),
    # payment_intent
    pytest.param(
        "payment_intent_create",
        NEW_PI,
        setting("status", "requires_source"),
        "/status",
        "requires_source",
        id="payment intent status outside the seven documented",
    ),
    pytest.param(
        "payment_intent_create",
        NEW_PI,
        setting("amount", "100"),
        "/amount",
        "",
        id="payment intent amount as a string",
    ),
    pytest.param(
        "payment_intent_create",
        NEW_PI,
        setting("currency", "USD"),
        "/currency",
        "",
        id="payment intent currency in upper case",
    ),
    pytest.param(
        "payment_intent_create",
        NEW_PI,
        removing("client_secret"),
        "",
        "client_secret",
        id="payment intent without client_secret for the frontend",
    ),
    pytest.param(
        "payment_intent_create",
        NEW_PI,
        setting("object", "charge"),
        "/object",
        "",
        id="payment intent whose object says charge",
    ),
    pytest.param(
        "payment_intent_retrieve",
        PAID_PI,
        removing("amount_received"),
        "",
        "amount_received",
        id="payment intent without amount_received",
    ),
    pytest.param(
        "payment_intent_retrieve",
        PAID_PI,
        setting("last_payment_error", {"type": "card_declined"}),
        "/last_payment_error",
        "",
        id="payment intent last_payment_error of an unknown error type",
    ),
    pytest.param(
        "payment_intent_retrieve",
        PAID_PI,
        setting("capture_method", "deferred"),
        "/capture_method",
        "deferred",
        id="payment intent capture_method outside the documented",
    ),
    # event
    pytest.param(
        "event_retrieve",
        EVENT,
        removing("type"),
        "",
        "type",
        id="event without type",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("object", "webhook"),
        "/object",
        "",
        id="event whose object says webhook",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        removing("data.object"),
        "/data",
        "object",
        id="event without data.object",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("data.object", fixture("payment_intent_retrieve", PAID_PI)),
        "/data/object/object",
        "checkout.session",
        id="checkout.session.completed carrying a payment_intent",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("type", "payment_intent.succeeded"),
        "/data/object/object",
        "payment_intent",
        id="payment_intent.succeeded carrying a checkout.session",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("type", "invoice.paid"),
        "/data/object/object",
        "invoice",
        id="invoice.paid carrying a checkout.session",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("type", "customer.created"),
        "/data/object/object",
        "customer",
        id="customer.created carrying a checkout.session",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        setting("data.object.status", "paid"),
        "/data/object/status",
        "paid",
        id="checkout.session.completed whose session has an unknown status",
    ),
    pytest.param(
        "event_retrieve",
        EVENT,
        removing("data.object.payment_status"),
        "/data/object",
        "payment_status",
        id="checkout.session.completed whose session lacks payment_status",
    ),
    # events list
    pytest.param(
        "events_list",
        EVENTS,
        setting("object", "page"),
        "/object",
        "",
        id="events list whose object is not list",
    ),
    pytest.param(
        "events_list",
        EVENTS,
        removing("has_more"),
        "",
        "has_more",
        id="events list without has_more",
    ),
    pytest.param(
        "events_list",
        EVENTS,
        setting("data.1.data.object", fixture("customer_create", CUSTOMER)),
        "/data/1/data/object/object",
        "payment_intent",
        id="payment_intent.succeeded in a list carrying a customer",
    ),
    pytest.param(
        "events_list",
        EVENTS,
        setting("data.2.data.object.status", "settled"),
        "/data/2/data/object/status",
        "settled",
        id="invoice.paid whose invoice has an unknown status",
    ),
    pytest.param(
        "events_list",
        EVENTS,
        removing("data.2.data.object.amount_paid"),
        "/data/2/data/object",
        "amount_paid",
        id="invoice.paid whose invoice lacks amount_paid",
    ),
    pytest.param(
        "events_list",
        EVENTS,
        setting("data.0.data.object.mode", "donation"),
        "/data/0/data/object/mode",
        "donation",
        id="checkout.session.completed in a list whose session has an unknown mode",
    ),
    # errors
    pytest.param(
        "payment_intent_create",
        CARD_ERROR,
        setting("error.type", "rate_limit_error"),
        "/error/type",
        "rate_limit_error",
        id="402 error type outside the spec's four",
    ),
    pytest.param(
        "payment_intent_create",
        CARD_ERROR,
        removing("error.type"),
        "/error",
        "type",
        id="402 error without type",
    ),
    pytest.param(
        "payment_intent_create",
        CARD_ERROR,
        setting("error.message", None),
        "/error/message",
        "",
        id="402 error message null",
    ),
    pytest.param(
        "checkout_session_create",
        "400 invalid_request_error",
        lambda body: {"message": body["error"]["message"]},
        "",
        "error",
        id="400 body with the message at the top instead of under error",
    ),
]


@pytest.mark.parametrize(("endpoint", "interaction", "mutate", "where", "words"), BROKEN)
def test_a_stripe_answer_that_would_break_a_billing_flow_is_a_violation(
    endpoint: str, interaction: str, mutate: Change, where: str, words: str
) -> None:
    status, body = response("stripe", endpoint, interaction)
    result = check(endpoint, status, mutate(body))
    assert_violation(result, where, words)


def test_no_cassette_holds_a_secret_key_or_a_client_secret() -> None:
    for path in sorted((CASSETTES / "stripe").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert "sk_test_" not in text and "sk_live_" not in text and "rk_live_" not in text, path
        assert "_secret_" not in text, path
