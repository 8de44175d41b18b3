"""Probes: each endpoint's cheapest request, ordered so that ids are fetched before use."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.errors import ContractError
from provider_contracts.live.probes import plan
from support.live import make_project


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", "openrouter", "stripe")


def test_a_probe_targets_the_manifests_base_url_and_the_endpoint_path(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("openrouter")
    [probe] = plan(provider, [provider.endpoints["chat_completions"]])
    assert (probe.method, probe.url) == ("POST", "https://openrouter.ai/api/v1/chat/completions")
    assert probe.json["max_tokens"] == 1
    assert probe.cost_usd > 0


def test_a_base_url_override_replaces_the_manifests(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("openrouter")
    [probe] = plan(provider, [provider.endpoints["models"]], "http://127.0.0.1:9/api/v1/")
    assert probe.url == "http://127.0.0.1:9/api/v1/models"


def test_an_endpoint_that_needs_an_id_comes_after_the_one_that_gives_it(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("stripe")
    probes = plan(provider, [provider.endpoints["checkout_session_retrieve"]])
    assert [(p.endpoint.name, p.wanted) for p in probes] == [
        ("checkout_session_create", False),
        ("checkout_session_retrieve", True),
    ]
    [need] = probes[1].needs
    assert (need.param, need.endpoint, need.path) == ("id", "checkout_session_create", ("id",))


def test_a_need_may_name_a_path_in_the_answer(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("stripe")
    probes = plan(provider, [provider.endpoints["event_retrieve"]])
    assert probes[-1].needs[0].path == ("data", 0, "id")


def test_every_endpoint_is_planned_once_in_a_full_run(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("stripe")
    probes = plan(provider, provider.endpoints.values())
    names = [p.endpoint.name for p in probes]
    assert sorted(names) == sorted(provider.endpoints)
    assert names.index("payment_intent_create") < names.index("payment_intent_retrieve")
    assert all(p.wanted for p in probes)


def test_filled_path_parameters_are_quoted(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("stripe")
    probe = plan(provider, [provider.endpoints["payment_intent_retrieve"]])[-1]
    assert probe.with_params({"id": "pi/1 2"}).path == "/payment_intents/pi%2F1%202"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("from:nowhere", "names 'nowhere', not an endpoint of stripe"),
        ("from:checkout_session_create:a..b", "cannot read the path 'a..b'"),
        ("from:checkout_session_retrieve", "makes a cycle through checkout_session_retrieve"),
    ],
    ids=["unknown-endpoint", "bad-path", "cycle"],
)
def test_a_bad_from_names_the_contract_file(root: Path, value: str, problem: str) -> None:
    contract = root / "contracts" / "stripe" / "endpoints" / "checkout_session_retrieve.yaml"
    contract.write_text(
        contract.read_text().replace("from:checkout_session_create", value), encoding="utf-8"
    )
    provider = Registry.load(root / "contracts").provider("stripe")
    with pytest.raises(ContractError) as raised:
        plan(provider, [provider.endpoints["checkout_session_retrieve"]])
    assert "checkout_session_retrieve.yaml: probe.path_params.id " + problem in str(raised.value)


def test_a_query_value_may_come_from_another_answer(root: Path) -> None:
    provider = Registry.load(root / "contracts").provider("openrouter")
    probes = plan(provider, [provider.endpoints["generation"]])
    assert [(p.endpoint.name, p.wanted) for p in probes] == [
        ("chat_completions", False),
        ("generation", True),
    ]
    [need] = probes[1].needs
    assert (need.location, need.param, need.endpoint) == ("query", "id", "chat_completions")
    assert "id" not in probes[1].query
    assert probes[1].with_params({}, {"id": "gen-1"}).query == {"id": "gen-1"}
