"""Provider keys: read from the environment only, checked before any call, sent as the
manifest says (`auth.header`, `auth.scheme`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..contract.registry import Provider
from ..errors import InputError, MissingCredential

__all__ = ["BAD_KEY", "LIVE_STRIPE_KEY", "TEST_KEY_PREFIXES", "auth_headers", "key_for"]

# Stripe test-mode keys; a live key could move real money, so it is refused before any call.
TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
LIVE_STRIPE_KEY = (
    "{var} holds a key that is not a Stripe test-mode key; recording and live checks use "
    "test mode only: export a key starting with sk_test_ or rk_test_"
)

# Never shows the key, nor where the bad character is: that would print part of it.
BAD_KEY = (
    "{var} holds a character an HTTP header cannot carry (a line break, a control "
    "character or a non-ASCII letter); export the key alone, on one line"
)
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")


def key_for(provider: Provider, environ: Mapping[str, str]) -> str:
    """The provider's key from its environment variable (`auth.env`), checked."""
    var = provider.auth.env
    key = environ.get(var, "").strip()
    if not key:
        raise MissingCredential(var, provider.title)
    if not _HEADER_VALUE.fullmatch(key):
        raise InputError(BAD_KEY.format(var=var))
    if provider.name == "stripe" and not key.startswith(TEST_KEY_PREFIXES):
        raise InputError(LIVE_STRIPE_KEY.format(var=var))
    return key


def auth_headers(provider: Provider, key: str) -> dict[str, str]:
    value = f"{provider.auth.scheme} {key}" if provider.auth.scheme else key
    return {provider.auth.header: value}
