"""The semantic and stream rules on real answers: every real body holds, and each way of
breaking one that mis-bills or mis-routes a gateway is rejected, naming the rule.

The bodies are the repository's real 200 answers (cassettes and tests/data/real); the
ways of breaking them are in `support.mutations`.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs
import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.rules import RULES
from provider_contracts.contract.validation import validate_response
from support.bodies import CONTRACTS, describe
from support.mutations import MUTATIONS, Mutation, real_bodies
from support.paths import REPO

REAL = list(real_bodies(REPO))


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(CONTRACTS)


def test_every_real_answer_keeps_every_rule_of_its_contract(registry: Registry) -> None:
    broken = {}
    for real in REAL:
        result = validate_response(registry.endpoint(real.endpoint_id), 200, real.text)
        if result.violations:
            broken[real.source] = describe(result)
    assert len(REAL) > 250
    assert broken == {}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_a_real_answer_broken_this_way_fails_naming_the_rule(
    registry: Registry, mutation: Mutation
) -> None:
    tried, missed = 0, []
    for real in REAL:
        if not mutation.applies(real) or (text := mutation.apply(real)) is None:
            continue
        tried += 1
        result = validate_response(registry.endpoint(real.endpoint_id), 200, text)
        if not any(v.rule == mutation.rule for v in result.violations):
            missed.append(f"{real.source}: {describe(result)}")
    assert tried, f"no real body to break as {mutation.name!r}"
    assert missed == []


def test_every_rule_is_exercised_by_a_broken_real_answer() -> None:
    named = {m.rule for m in MUTATIONS}
    untested = set(RULES) - named - {"usage_chunk_last"}  # tests/unit/contract/test_streams.py
    assert untested == set()


def _values() -> list[Any]:
    """Every real body and stream event, and each broken variant of them."""
    values: list[Any] = []
    for real in REAL:
        variants = [real.parsed()] + [
            m.change(copy.deepcopy(real.parsed())) for m in MUTATIONS if m.applies(real)
        ]
        for variant in filter(None, variants):
            values += [data for _, data in variant] if real.streamed else [variant]
    return values


VALUES = _values()


@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.holds_if is not None])
def test_a_value_matching_a_rules_holds_if_schema_keeps_the_rule(name: str) -> None:
    rule = RULES[name]
    assert rule.holds_if is not None
    matches = jsonschema_rs.validator_for(dict(rule.holds_if)).is_valid
    vouched = [value for value in VALUES if matches(value)]
    broken = [value for value in VALUES if rule.check(value)]
    assert vouched and broken
    assert [value for value in vouched if rule.check(value)] == []
