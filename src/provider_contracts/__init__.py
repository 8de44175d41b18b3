"""Contract tests with recorded fixtures for the APIs an LLM gateway depends on.

The public API is what `__all__` names; everything else may change without notice.
Names are imported on first use, so `contracts --help` does not pay for the validator.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assertions import assert_contract
    from .contract.registry import Endpoint, Provider, Registry
    from .contract.validation import BodyResult, validate_response
    from .contract.violations import Violation
    from .errors import (
        BodyError,
        CassetteError,
        ContractAssertionError,
        ContractError,
        ContractsError,
        CouldNotVerify,
        InputError,
        MissingCredential,
        UnknownName,
        UnmatchedRequest,
    )
    from .replay.server import ReplayServer
    from .verify.offline import VerifyResult, verify_offline

_HOMES = {
    "assert_contract": "assertions",
    "BodyError": "errors",
    "CassetteError": "errors",
    "ContractAssertionError": "errors",
    "ContractError": "errors",
    "ContractsError": "errors",
    "CouldNotVerify": "errors",
    "InputError": "errors",
    "MissingCredential": "errors",
    "UnknownName": "errors",
    "UnmatchedRequest": "errors",
    "Endpoint": "contract.registry",
    "Provider": "contract.registry",
    "Registry": "contract.registry",
    "ReplayServer": "replay.server",
    "BodyResult": "contract.validation",
    "validate_response": "contract.validation",
    "VerifyResult": "verify.offline",
    "verify_offline": "verify.offline",
    "Violation": "contract.violations",
}

__all__ = [
    "BodyError",
    "BodyResult",
    "CassetteError",
    "ContractAssertionError",
    "ContractError",
    "ContractsError",
    "CouldNotVerify",
    "Endpoint",
    "InputError",
    "MissingCredential",
    "Provider",
    "Registry",
    "ReplayServer",
    "UnknownName",
    "UnmatchedRequest",
    "VerifyResult",
    "Violation",
    "assert_contract",
    "validate_response",
    "verify_offline",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
