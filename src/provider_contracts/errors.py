"""Every error this package raises on purpose.

    ContractsError                 the root; carries one line for the user
    ├── InputError                 exit 2: bad input (a file, an option, an environment variable)
    │   ├── UnknownName            a provider or endpoint that does not exist
    │   ├── ContractError          a manifest, endpoint contract or schema that cannot be used
    │   ├── CassetteError          a cassette that cannot be read
    │   ├── BodyError              a response body given to `check` that cannot be checked
    │   ├── ReportError            a verify report given to `gate` that cannot be read
    │   └── MissingCredential      the provider's key is not in the environment
    ├── CouldNotVerify             exit 3: the provider did not answer usefully
    ├── ContractAssertionError     a test's response breaks its contract (also an AssertionError)
    └── UnmatchedRequest           a test's request matches no recorded interaction (ditto)

A contract violation is not an exception: it is data (`provider_contracts.contract.validation`).
Exceptions become exit codes in one place, `provider_contracts.cli.main`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BodyError",
    "CassetteError",
    "ContractAssertionError",
    "ContractError",
    "ContractsError",
    "CouldNotVerify",
    "InputError",
    "MissingCredential",
    "ReportError",
    "UnknownName",
    "UnmatchedRequest",
]

# User-facing messages, kept here so tests can assert them.
UNKNOWN_NAME = "unknown {kind} {name!r}{hint}; `contracts list` shows them all"
DID_YOU_MEAN = " (did you mean {suggestion!r}?)"
NOT_JSON = "{where}: not valid JSON ({detail}); {fix}"
NOT_YAML = "{where}: not valid YAML ({detail}); fix the syntax at that line"
NO_CONTRACTS = (
    "{where}: no contracts/ folder here; run from the folder that holds contracts/ and "
    "cassettes/, or name it (--root DIR, --contracts-root=DIR or CONTRACTS_ROOT)"
)
UNREADABLE = "{where}: cannot read ({detail}); check the path and its permissions"
EMPTY_FILE = "{where}: the file is empty; {fix}"
BINARY_BODY = (
    "{where}: binary data, not a text response body; give the body as the provider sent it"
)
MISSING_FIELD = "{where}: missing required field {field!r}; {fix}"
BAD_FIELD = "{where}: field {field!r} {problem}; {fix}"
MISSING_CREDENTIAL = "environment variable {var} is not set; export your {provider} key as {var}"


class ContractsError(Exception):
    """The root of this package's errors: `str(error)` is one line for the user."""

    exit_code = 1


class InputError(ContractsError):
    """Bad input: a file, an option or a variable; exit code 2."""

    exit_code = 2


class UnknownName(InputError):
    """A provider or endpoint name that is not in `contracts/`."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        from difflib import get_close_matches  # here: `contracts --help` imports this module

        matches = get_close_matches(name, list(known), n=1, cutoff=0.5)
        hint = DID_YOU_MEAN.format(suggestion=matches[0]) if matches else ""
        super().__init__(UNKNOWN_NAME.format(kind=kind, name=name, hint=hint))
        self.suggestion = matches[0] if matches else None


class ContractError(InputError):
    """A manifest, endpoint contract or schema in `contracts/` that cannot be used."""


class CassetteError(InputError):
    """A cassette that cannot be read or does not have the vcrpy shape."""


class BodyError(InputError):
    """A response body handed to `contracts check` that cannot be checked at all."""


class ReportError(InputError):
    """A file handed to `contracts gate` that is not a readable verify report."""


class MissingCredential(InputError):
    """The provider's key is not in its environment variable."""

    def __init__(self, var: str, provider: str) -> None:
        super().__init__(MISSING_CREDENTIAL.format(var=var, provider=provider))
        self.var = var


class CouldNotVerify(ContractsError):
    """The provider was unreachable, timed out or kept failing: not drift; exit code 3."""

    exit_code = 3


class ContractAssertionError(ContractsError, AssertionError):
    """A response in a test breaks its contract; the message is the violation report.

    An `AssertionError`, so pytest shows it as a failed assertion.
    """


class UnmatchedRequest(ContractsError, AssertionError):
    """A request made in a test that no recorded interaction answers (nothing is sent instead)."""
