"""Provider keys: from the environment only, Stripe in test mode only."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.errors import MISSING_CREDENTIAL, InputError, MissingCredential
from provider_contracts.live.credentials import LIVE_STRIPE_KEY, auth_headers, key_for
from support.live import FAKE_STRIPE_KEY, make_project


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root = make_project(tmp_path_factory.mktemp("keys") / "project", "openrouter", "stripe")
    return Registry.load(Path(root) / "contracts")


def test_the_key_comes_from_the_manifests_variable(registry: Registry) -> None:
    assert key_for(registry.provider("openrouter"), {"OPENROUTER_API_KEY": "k "}) == "k"


@pytest.mark.parametrize("environ", [{}, {"OPENROUTER_API_KEY": "  "}], ids=["unset", "blank"])
def test_a_missing_key_names_the_variable(registry: Registry, environ: dict[str, str]) -> None:
    with pytest.raises(MissingCredential) as raised:
        key_for(registry.provider("openrouter"), environ)
    assert str(raised.value) == MISSING_CREDENTIAL.format(
        var="OPENROUTER_API_KEY", provider="OpenRouter"
    )
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("key", ["sk_live_abc", "rk_live_abc", "pk_test_abc", "abc"], ids=str)
def test_a_stripe_key_outside_test_mode_is_refused(registry: Registry, key: str) -> None:
    with pytest.raises(InputError) as raised:
        key_for(registry.provider("stripe"), {"STRIPE_API_KEY": key})
    assert str(raised.value) == LIVE_STRIPE_KEY.format(var="STRIPE_API_KEY")
    assert key not in str(raised.value)


@pytest.mark.parametrize("key", [FAKE_STRIPE_KEY, "rk_test_abc"], ids=["secret", "restricted"])
def test_stripe_test_mode_keys_are_accepted(registry: Registry, key: str) -> None:
    assert key_for(registry.provider("stripe"), {"STRIPE_API_KEY": key}) == key


def test_the_key_is_sent_as_the_manifest_says(registry: Registry) -> None:
    assert auth_headers(registry.provider("openrouter"), "k") == {"Authorization": "Bearer k"}
