from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.contract.validation import validate_response

OK: dict[str, Any] = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "choices": [{"message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
    "usage": {"total_tokens": 3},
}
HEADERS = {"Content-Type": "application/json", "X-Request-Id": "req_1"}


@pytest.fixture
def chat(sample: Path) -> Endpoint:
    return Registry.load(sample / "contracts").endpoint("acme/chat")


def _with(path: str, value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(OK))
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return body


def test_a_conforming_body_has_no_violations(chat: Endpoint) -> None:
    result = validate_response(chat, 200, json.dumps(OK).encode(), HEADERS)
    assert result.ok and result.branch == "success" and result.kind == "json"


@pytest.mark.parametrize(
    ("path", "value", "instance_path", "message"),
    [
        ("id", KeyError, "", '"id" is a required property'),
        ("id", 42, "/id", 'is not of type "string"'),
        ("object", "text_completion", "/object", "chat.completion"),
        ("choices.0.message.role", "robot", "/choices/0/message/role", "assistant"),
        ("choices.0.finish_reason", "banana", "/choices/0/finish_reason", "is not one of"),
        ("usage.total_tokens", "3", "/usage/total_tokens", 'is not of type "integer"'),
    ],
    ids=["missing-id", "id-type", "object-const", "role-const", "finish-reason-enum", "usage-type"],
)
def test_a_breaking_change_is_a_violation_at_its_path(
    chat: Endpoint, path: str, value: Any, instance_path: str, message: str
) -> None:
    result = validate_response(chat, 200, json.dumps(_with(path, value)), HEADERS)
    assert [v.instance_path for v in result.violations] == [instance_path]
    assert message in result.violations[0].message
    assert result.violations[0].schema_path.startswith("/")


def test_unknown_fields_are_allowed(chat: Endpoint) -> None:
    assert validate_response(chat, 200, json.dumps(_with("provider", "x")), HEADERS).ok


def test_every_violation_is_reported_not_only_the_first(chat: Endpoint) -> None:
    body = _with("id", 1)
    body["object"] = "nope"
    result = validate_response(chat, 200, json.dumps(body), HEADERS)
    assert {v.instance_path for v in result.violations} == {"/id", "/object"}


def test_an_error_under_a_success_status_takes_the_error_branch(chat: Endpoint) -> None:
    body = {"error": {"code": 502, "message": "upstream"}}
    result = validate_response(chat, 200, json.dumps(body), HEADERS)
    assert result.ok and result.branch == "error"


def test_an_error_branch_body_is_checked_against_the_error_schema(chat: Endpoint) -> None:
    result = validate_response(chat, 200, json.dumps({"error": {"code": "x"}}), HEADERS)
    assert result.branch == "error"
    assert {v.instance_path for v in result.violations} == {"/error", "/error/code"}


def test_an_error_status_uses_the_error_schema(chat: Endpoint) -> None:
    assert validate_response(chat, 401, b'{"error": {"code": 401, "message": "no"}}').ok
    assert not validate_response(chat, 401, json.dumps(OK)).ok


def test_a_status_outside_the_contract_is_a_violation(chat: Endpoint) -> None:
    (violation,) = validate_response(chat, 503, b"{}").violations
    assert violation.kind == "status"
    assert violation.message == "status 503 is not in the contract (statuses: 200, 4XX)"


def test_a_non_json_body_is_a_violation_with_an_excerpt(chat: Endpoint) -> None:
    (violation,) = validate_response(chat, 200, b"<html>Bad gateway</html>", HEADERS).violations
    assert violation.kind == "body"
    assert violation.message == "expected a JSON body, got text"
    assert violation.excerpt == '"<html>Bad gateway</html>"'


def test_header_contracts_check_lower_cased_headers(chat: Endpoint) -> None:
    result = validate_response(chat, 200, json.dumps(OK), {"Content-Type": "application/json"})
    (violation,) = result.violations
    assert violation.kind == "headers"
    assert '"x-request-id" is a required property' in violation.message


def test_long_values_are_cut_in_the_excerpt(chat: Endpoint) -> None:
    result = validate_response(chat, 200, json.dumps(_with("id", ["x" * 500])), HEADERS)
    assert result.violations[0].excerpt.endswith("…")
    assert len(result.violations[0].excerpt) == 80


def test_a_stream_endpoint_wants_an_event_stream_on_success(sample: Path) -> None:
    stream = Registry.load(sample / "contracts").endpoint("acme/chat_stream")
    (violation,) = validate_response(stream, 200, json.dumps(OK)).violations
    assert violation.message == "expected a text/event-stream body for status 200, got json"


def test_a_stream_endpoint_answers_errors_in_json(sample: Path) -> None:
    stream = Registry.load(sample / "contracts").endpoint("acme/chat_stream")
    result = validate_response(stream, 429, b'{"error": {"code": 429, "message": "slow down"}}')
    assert result.ok and result.branch == "error"


def test_the_same_failure_through_two_schema_branches_is_reported_once(sample: Path) -> None:
    schema = sample / "contracts" / "acme" / "schemas" / "completion.schema.json"
    doc = json.loads(schema.read_text())
    doc = {
        "$schema": doc.pop("$schema"),
        "allOf": [doc, {"properties": {"id": {"type": "string"}}}],
    }
    schema.write_text(json.dumps(doc))
    chat = Registry.load(sample / "contracts").endpoint("acme/chat")
    result = validate_response(chat, 200, json.dumps(_with("id", 42)), HEADERS)
    assert [v.instance_path for v in result.violations] == ["/id"]
    assert result.violations[0].schema_path == "/allOf/0/properties/id/type"
