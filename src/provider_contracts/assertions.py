"""Contract assertions for tests: a response (or a body) against `PROVIDER/ENDPOINT`.

`assert_contract(response, "openrouter/chat_completions")` raises a
`ContractAssertionError` (an `AssertionError`) whose message is the violation report, as
`contracts verify` prints it; `ContractValidator` is the same check bound to one
project, returning the `BodyResult` when the caller wants to look at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ContractAssertionError
from .words import count

if TYPE_CHECKING:
    from .contract.body import Body
    from .contract.validation import BodyResult
    from .project import Project

__all__ = ["ContractValidator", "assert_contract", "holding_fire"]

# While the plugin learns what a consumer reads, it breaks answers on purpose: the
# contract assertions in the consumer's tests would fail on every change, hiding
# whether the consumer's own code noticed it.
_HOLD_FIRE: ContextVar[bool] = ContextVar("provider_contracts_hold_fire", default=False)

BROKEN = "{endpoint}: the response (status {status}) breaks its contract: {violations}"
NOT_A_RESPONSE = (
    "assert_contract takes an httpx.Response, bytes, str, or a parsed JSON value "
    "(dict or list), not {kind}"
)


class ContractValidator:
    """Checks responses against the contracts of one project (`contracts/` under `root`)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def check(self, response: Any, endpoint: str, status: int | None = None) -> BodyResult:
        """Every violation of the response, as data; raises nothing for a broken response."""
        from .contract.validation import (
            validate_response,  # here: the plugin loads this module at start-up
        )

        contract = self.project.registry.endpoint(endpoint)
        found_status, body, headers = _parts(response)
        return validate_response(
            contract, found_status if status is None else status, body, headers
        )

    def assert_valid(self, response: Any, endpoint: str, status: int | None = None) -> BodyResult:
        """The check, raising `ContractAssertionError` with the report on any violation."""
        result = self.check(response, endpoint, status)
        if not result.ok and not _HOLD_FIRE.get():
            raise ContractAssertionError(report(endpoint, result))
        return result

    __call__ = assert_valid


def assert_contract(
    response: Any, endpoint: str, status: int | None = None, *, root: Path | None = None
) -> BodyResult:
    """Assert that a response meets the contract of `PROVIDER/ENDPOINT`.

    `response` is an `httpx.Response` (its status and headers are checked too), the body
    as bytes or str (JSON, or a raw `text/event-stream`), or an already parsed JSON value.
    `status` defaults to the response's, else 200. The project is `root` if given, else
    the one the pytest plugin uses, else `$CONTRACTS_ROOT`, else the nearest folder with
    `contracts/` at or above the working folder.
    """
    from .project import current, project  # here: the plugin loads this module at start-up

    chosen = project(root) if root is not None else current()
    return ContractValidator(chosen).assert_valid(response, endpoint, status)


@contextmanager
def holding_fire() -> Iterator[None]:
    """Contract assertions inside do not raise (their checks still run and return)."""
    token = _HOLD_FIRE.set(True)
    try:
        yield
    finally:
        _HOLD_FIRE.reset(token)


def report(endpoint: str, result: BodyResult) -> str:
    """The violations of one response, as `contracts verify` shows them."""

    lines = [
        BROKEN.format(
            endpoint=endpoint,
            status=result.status,
            violations=count(len(result.violations), "violation"),
        )
    ]
    for violation in result.violations:
        lines.extend("  " + line for line in violation.lines("response"))
    return "\n".join(lines)


def _parts(response: Any) -> tuple[int, bytes | str | Body, Mapping[str, str] | None]:
    """(status, body, headers) of whatever the caller handed in."""
    from .contract.body import Body  # here: the plugin loads this module at start-up

    if hasattr(response, "status_code") and hasattr(response, "read"):  # an httpx.Response
        content = response.read()
        return int(response.status_code), bytes(content), dict(response.headers)
    if isinstance(response, Body | bytes | str):
        return 200, response, None
    if isinstance(response, dict | list):
        return 200, Body("json", response), None
    raise TypeError(NOT_A_RESPONSE.format(kind=type(response).__name__))
