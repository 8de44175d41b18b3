"""Stateful replay: list pages that end, and idempotent retries answered as the first time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
import stripe

from provider_contracts.cassettes.cassette import read
from provider_contracts.project import project
from provider_contracts.pytest_plugin import ContractsHttpx
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.server import INTERACTION_HEADER, ReplayServer
from provider_contracts.replay.transports import ReplayTransport
from support.paths import REPO

STRIPE_DATA_WARNING = "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"
RECORDED = [
    item["id"]
    for item in read(REPO / "cassettes/stripe/events_list.json")
    .interactions[0]
    .response.body.value["data"]
]


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer.at(REPO, ["stripe"]) as running:
        yield running


@contextlib.contextmanager
def stripe_client(lib: object, base: str) -> Iterator[stripe.StripeClient]:
    http = stripe.HTTPXClient(allow_sync_methods=True, _lib=lib)
    try:
        yield stripe.StripeClient(
            "sk_test_placeholder",
            base_addresses={"api": base},
            http_client=http,
            max_network_retries=0,
        )
    finally:
        http.close()


def test_the_recorded_list_says_there_is_more() -> None:
    # What made auto_paging_iter() loop forever: the recorded page says has_more.
    recorded = read(REPO / "cassettes/stripe/events_list.json").interactions[0].response
    assert recorded.body.value["has_more"] is True and len(RECORDED) >= 2


def test_auto_paging_ends_through_the_server(server: ReplayServer) -> None:
    with stripe_client(httpx, server.url + "/stripe") as client:
        pages = client.v1.events.list(params={"limit": 1})
        ids = [event.id for event in pages.auto_paging_iter()]
    assert ids == RECORDED
    # One page per item, the last saying has_more: false.
    assert [e.path for e in server.exchanges] == ["/stripe/v1/events"] * len(RECORDED)


@pytest.mark.filterwarnings(STRIPE_DATA_WARNING)
def test_auto_paging_ends_through_the_plugin_transport() -> None:
    replayer = Replayer(candidates(project(REPO), [Selection("stripe/events_list")]))
    lib = ContractsHttpx(ReplayTransport(replayer))
    with stripe_client(lib, "https://api.stripe.com") as client:
        ids = [e.id for e in client.v1.events.list(params={"limit": 2}).auto_paging_iter()]
    assert ids == RECORDED


def test_pages_go_backwards_with_ending_before(server: ReplayServer) -> None:
    url = server.base_url("stripe") + "/events"
    page = httpx.get(url, params={"limit": 1, "ending_before": RECORDED[-1]}).json()
    assert [e["id"] for e in page["data"]] == [RECORDED[-2]]
    first = httpx.get(url, params={"limit": 5, "ending_before": RECORDED[1]}).json()
    assert [e["id"] for e in first["data"]] == [RECORDED[0]] and first["has_more"] is False


def test_a_cursor_naming_no_recorded_item_is_strip_s_resource_missing(server: ReplayServer) -> None:
    response = httpx.get(server.base_url("stripe") + "/events", params={"starting_after": "evt_x"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("resource_missing", "starting_after")
    assert error["message"] == "No such event: 'evt_x'"


def test_an_idempotency_key_replays_its_first_answer(server: ReplayServer) -> None:
    url = server.base_url("stripe") + "/checkout/sessions"
    key = {"Idempotency-Key": "k-1"}
    first = httpx.post(url, data={"mode": "payment"}, headers={**key, INTERACTION_HEADER: "1"})
    again = httpx.post(url, data={"mode": "payment"}, headers=key)
    other = httpx.post(url, data={"mode": "payment"}, headers={"Idempotency-Key": "k-2"})
    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert other.status_code == 200
