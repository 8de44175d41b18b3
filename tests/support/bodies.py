"""What the provider contract tests share: the committed cassettes, bodies changed one field
at a time, and validation with the headers a body's kind calls for.

Paths into a body are dotted (`choices.0.message.content`): a number indexes a list.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from provider_contracts.contract.registry import Endpoint
from provider_contracts.contract.validation import BodyResult, validate_response
from support.paths import REPO as _REPO

ROOT = _REPO
CONTRACTS = ROOT / "contracts"
CASSETTES = ROOT / "cassettes"
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}


# --- the committed cassettes -----------------------------------------------------------------


def interactions(provider: str, endpoint: str) -> list[dict[str, Any]]:
    """The interactions of cassettes/PROVIDER/ENDPOINT.json."""
    doc = json.loads((CASSETTES / provider / f"{endpoint}.json").read_text(encoding="utf-8"))
    return list(doc["interactions"])


def interaction_params(provider: str, endpoints: Iterable[str]) -> list[Any]:
    """`pytest.param(endpoint, interaction)` for every recorded one, id `endpoint: its name`."""
    return [
        pytest.param(endpoint, item, id=f"{endpoint}: {item['name']}")
        for endpoint in endpoints
        for item in interactions(provider, endpoint)
    ]


def interaction(provider: str, endpoint: str, name: str) -> dict[str, Any]:
    """A copy of the recorded interaction with this name."""
    for item in interactions(provider, endpoint):
        if item["name"] == name:
            return copy.deepcopy(item)
    raise LookupError(f"{endpoint}: no interaction named {name!r}")


def recorded(provider: str, endpoint: str, name: str) -> Any:
    """A recorded body by its interaction name: parsed JSON, or the SSE lines."""
    body = interaction(provider, endpoint, name)["response"]["body"]
    return body["json"] if "json" in body else body["sse"]


def content(body: Mapping[str, Any]) -> Any:
    """A cassette body's content: the parsed JSON, or the stream's text."""
    return body["json"] if "json" in body else "\n".join(body["sse"])


def response(provider: str, endpoint: str, name_starts: str) -> tuple[int, Any]:
    """(status, content) of the first interaction whose name starts with `name_starts`."""
    for item in interactions(provider, endpoint):
        if item["name"].startswith(name_starts):
            resp = item["response"]
            return resp["status"]["code"], copy.deepcopy(content(resp["body"]))
    raise LookupError(f"no interaction named {name_starts!r}... in {endpoint}")


def headers_of(response: Mapping[str, Any]) -> dict[str, str]:
    """A recorded response's headers as a contract sees them: {lower-cased name: first value}."""
    return {k.lower(): v[0] for k, v in response["headers"].items()}


def replay(
    endpoint: Endpoint, response: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> BodyResult:
    """Validate a recorded response as it came: status, body, and its headers unless given."""
    body = response["body"]
    raw = "\n".join(body["sse"]) if "sse" in body else json.dumps(body["json"])
    return validate_response(
        endpoint,
        status=response["status"]["code"],
        body=raw,
        headers=headers_of(response) if headers is None else headers,
    )


# --- building changed bodies -----------------------------------------------------------------

Change = Callable[[Any], Any]


def at_path(body: Any, path: str) -> Any:
    """The part of `body` at a dotted path; the whole body for ""."""
    for part in path.split(".") if path else ():
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _parent(body: Any, path: str) -> tuple[Any, str | int]:
    parent, _, last = path.rpartition(".")
    node = at_path(body, parent)
    return node, int(last) if isinstance(node, list) else last


def setting(path: str, value: Any) -> Change:
    """Set a dotted path to `value`, in place; the body is returned."""

    def change(body: Any) -> Any:
        node, last = _parent(body, path)
        node[last] = value
        return body

    return change


def removing(path: str) -> Change:
    """Delete what is at a dotted path, in place; the body is returned."""

    def change(body: Any) -> Any:
        node, last = _parent(body, path)
        del node[last]
        return body

    return change


def changed(body: Any, *changes: Change) -> Any:
    """A copy of `body` with the changes made in order."""
    body = copy.deepcopy(body)
    for change in changes:
        change(body)
    return body


# --- streams ---------------------------------------------------------------------------------


def chunks_of(lines: Iterable[str]) -> list[Any]:
    """The JSON events of a stream's lines (without comments and [DONE])."""
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


def stream(*events: Any, done: bool = True) -> str:
    """A stream body: each event (a JSON value, or raw text for a data line), then [DONE]."""
    parts = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
        parts.append(f"data: {data}\n\n")
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts)


# --- validating ------------------------------------------------------------------------------


def validate(
    endpoint: Endpoint,
    body: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    stream_type: Mapping[str, str] = SSE,
) -> BodyResult:
    """Validate a JSON value (dict or list), or text as a stream, under the content type that
    fits it added to `headers`."""
    if isinstance(body, str):
        return validate_response(endpoint, status, body, {**(headers or {}), **stream_type})
    raw = json.dumps(body).encode()
    return validate_response(endpoint, status, raw, {**(headers or {}), **JSON})


def describe(result: BodyResult) -> str:
    return "; ".join(f"{v.location}: {v.message}" for v in result.violations) or "no violations"


def assert_violation(
    result: BodyResult, at: str, mentioning: str = "", kind: str | None = None
) -> None:
    """A violation at this JSON pointer whose message mentions the given text (of this kind,
    if one is given)."""
    matches = [
        v
        for v in result.violations
        if v.instance_path == at and mentioning in v.message and kind in (None, v.kind)
    ]
    violation = f"a {kind} violation" if kind else "a violation"
    assert matches, (
        f"expected {violation} at {at or '/'!r} mentioning {mentioning!r}; got: {describe(result)}"
    )
