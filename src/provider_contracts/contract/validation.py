"""One response against its endpoint contract: every violation, collected, as data."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from .body import Body
from .registry import Endpoint, SchemaRef
from .rules import run_body
from .rules.registry import BodyPlan, body_plan
from .schemas import SchemaStore, store_for
from .streams import check_stream
from .violations import Violation, excerpt, schema_violations

__all__ = ["BodyResult", "Violation", "validate_recorded", "validate_response"]

Branch = Literal["success", "error"]


# Not frozen: a frozen dataclass's __init__ pays object.__setattr__ per field, half the
# cost of reading a cassette (scripts/bench_verify.py); never assigned after creation.
@dataclass(slots=True, unsafe_hash=True)
class BodyResult:
    """What one response showed: its violations, and which branch of the contract it took."""

    status: int
    kind: str  # the body as read: json, sse, text, bytes, empty
    branch: Branch
    violations: tuple[Violation, ...]
    events: int = 0  # data events, for a stream
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_response(
    endpoint: Endpoint,
    status: int,
    body: bytes | str | Body,
    headers: Mapping[str, str] | None = None,
    store: SchemaStore | None = None,
) -> BodyResult:
    """Check a response (status, body, headers) against the endpoint's contract.

    `headers=None` means the headers are not known: header contracts are then skipped.
    """
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if not isinstance(body, Body):
        body = Body.from_raw(body, lowered.get("content-type"))
    return _validate(endpoint, status, body, lowered if headers is not None else None, store)


def _validate(
    endpoint: Endpoint,
    status: int,
    body: Body,
    lowered: Mapping[str, str] | None,
    store: SchemaStore | None,
) -> BodyResult:
    store = store or store_for(_root_of(endpoint))
    header_violations = _headers(endpoint, status, lowered, store) if lowered is not None else ()
    success = 200 <= status < 300
    if endpoint.stream is not None and success and body.kind == "sse":
        branch = endpoint.error_branch
        checked = check_stream(
            body.value if body.lines is None else None,  # stored lines are read as they are
            endpoint.stream,
            store,
            error_key=branch.key if branch else None,
            error_schema=branch.schema if branch else None,
            lines=body.lines,
            fold=_folded_check(endpoint, store),
        )
        return BodyResult(
            status=status,
            kind="sse",
            branch="error" if checked.took_error_branch else "success",
            violations=header_violations + checked.violations,
            events=checked.events,
            truncated=checked.truncated,
        )
    return _json(endpoint, status, body, store, header_violations)


class Recorded(Protocol):
    """A recorded response as validation reads it (a cassette's `RecordedResponse`)."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> Body: ...
    @property
    def headers(self) -> Mapping[str, tuple[str, ...]]: ...


def validate_recorded(
    endpoint: Endpoint, response: Recorded, store: SchemaStore | None = None
) -> BodyResult:
    """Check a recorded response, its headers included, against the endpoint's contract."""
    lowered = (  # only read by header contracts; most endpoints have none
        {name.lower(): values[0] for name, values in response.headers.items() if values}
        if endpoint.headers
        else {}
    )
    return _validate(endpoint, response.status, response.body, lowered, store)


def _json(
    endpoint: Endpoint,
    status: int,
    body: Body,
    store: SchemaStore,
    found: tuple[Violation, ...],
) -> BodyResult:
    branch: Branch = "success" if 200 <= status < 300 else "error"
    error = endpoint.error_branch
    if (
        branch == "success"
        and error is not None
        and body.kind == "json"
        and endpoint.is_error_body(body.value)
    ):
        ref: SchemaRef | None = error.schema
        branch = "error"
    else:
        ref = endpoint.schema_for(status) if not _wants_stream(endpoint, status) else None
    if ref is None and _wants_stream(endpoint, status):
        message = f"expected a text/event-stream body for status {status}, got {body.kind}"
        return BodyResult(
            status, body.kind, branch, (*found, _body_violation("body", message, body))
        )
    if ref is None:
        known = ", ".join(endpoint.responses) or "none"
        message = f"status {status} is not in the contract (statuses: {known})"
        return BodyResult(
            status, body.kind, branch, (*found, _body_violation("status", message, body))
        )
    if body.kind != "json":
        message = f"expected a JSON body, got {body.kind}"
        return BodyResult(
            status, body.kind, branch, (*found, _body_violation("body", message, body))
        )
    if branch == "success" and endpoint.rules:
        _, _, _, both, plan = _vouching(endpoint.rules, ref, store)
        if both is not None and both(body.value):  # the common case: one compiled call
            broken = plan.run_vouched(body.value)
            return BodyResult(status, "json", branch, (*found, *broken) if broken else found)
    validator = store.validator(ref)
    violations: tuple[Violation, ...] = ()
    if not validator.is_valid(body.value):  # the common case skips a generator per body
        violations = tuple(schema_violations(validator, body.value))
    if branch == "success" and endpoint.rules:
        violations += (*run_body(endpoint.rules, body.value),)
    return BodyResult(status, "json", branch, found + violations)


_VOUCHING: dict[int, tuple[Any, SchemaRef, SchemaStore, Any, BodyPlan]] = {}


def _vouching(
    rules: tuple[str, ...], ref: SchemaRef, store: SchemaStore
) -> tuple[Any, SchemaRef, SchemaStore, Callable[[Any], bool] | None, BodyPlan]:
    """The plan of an endpoint's body rules, and the check of a body against the schema
    `ref` and the rules' `holds_if` at once (None: no rule has one); found by the
    identity of the endpoint's objects, not by hashing them, once per body."""
    key = id(ref)
    entry = _VOUCHING.get(key)
    if entry is None or entry[0] is not rules or entry[1] is not ref or entry[2] is not store:
        plan = body_plan(rules)
        both = None if plan.vouch is None else store.validator_with(ref, rules, plan.vouch).is_valid
        entry = _VOUCHING[key] = (rules, ref, store, both, plan)
    return entry


def _folded_check(endpoint: Endpoint, store: SchemaStore) -> Any:
    """How a stream folded into one message is checked: as the 200 answer of the endpoint
    the stream contract names (its schema, and its rules but those the stream already ran
    on every event)."""
    target, spec = endpoint.folds_into, endpoint.stream
    if target is None or spec is None:
        return None
    ref = target.schema_for(200)
    rules = tuple(r for r in target.rules if r not in spec.rules)

    def check(message: Any) -> Iterator[Violation]:
        if ref is not None:
            yield from schema_violations(store.validator(ref), message)
        yield from run_body(rules, message)

    return check


def _wants_stream(endpoint: Endpoint, status: int) -> bool:
    return endpoint.stream is not None and 200 <= status < 300


def _body_violation(kind: Literal["status", "body"], message: str, body: Body) -> Violation:
    return Violation(kind=kind, message=message, excerpt=excerpt(body.value) if body.value else "")


def _headers(
    endpoint: Endpoint, status: int, headers: Mapping[str, str], store: SchemaStore
) -> tuple[Violation, ...]:
    ref = endpoint.headers_for(status) if endpoint.headers else None
    if ref is None:
        return ()
    found = schema_violations(store.validator(ref), dict(headers))
    return tuple(
        Violation(
            kind="headers",
            message=v.message,
            instance_path=v.instance_path,
            schema_path=v.schema_path,
            excerpt=v.excerpt,
        )
        for v in found
    )


def _root_of(endpoint: Endpoint) -> Path:
    # contracts/PROVIDER/endpoints/NAME.yaml -> contracts/
    return endpoint.file.parent.parent.parent
