from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from provider_contracts import ContractAssertionError, assert_contract
from provider_contracts.assertions import NOT_A_RESPONSE, ContractValidator
from provider_contracts.contract.body import Body
from provider_contracts.errors import UnknownName
from provider_contracts.project import configure, project, unconfigure

GOOD = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "OK"}}],
    "usage": {"total_tokens": 3},
}
HEADERS = {"Content-Type": "application/json", "X-Request-Id": "req_1"}


def without_usage() -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k != "usage"}


@pytest.mark.parametrize(
    "response",
    [
        GOOD,
        orjson.dumps(GOOD),
        orjson.dumps(GOOD).decode(),
        Body("json", GOOD),
        httpx.Response(200, json=GOOD, headers=HEADERS),
    ],
    ids=["dict", "bytes", "str", "body", "httpx-response"],
)
def test_a_response_that_meets_its_contract_passes(sample: Path, response: Any) -> None:
    result = assert_contract(response, "acme/chat", root=sample)
    assert result.ok and result.status == 200


@pytest.mark.parametrize(
    "response",
    [
        without_usage(),
        orjson.dumps(without_usage()),
        httpx.Response(200, json=without_usage(), headers=HEADERS),
    ],
    ids=["dict", "bytes", "httpx-response"],
)
def test_a_broken_response_raises_an_assertion_error_with_the_report(
    sample: Path, response: Any
) -> None:
    with pytest.raises(ContractAssertionError) as caught:
        assert_contract(response, "acme/chat", root=sample)
    assert isinstance(caught.value, AssertionError)
    lines = str(caught.value).splitlines()
    assert lines[0] == "acme/chat: the response (status 200) breaks its contract: 1 violation"
    assert lines[1] == '  response at /: "usage" is a required property'
    assert lines[2].startswith("    schema: ")


def test_the_status_defaults_to_the_response_status(sample: Path) -> None:
    unauthorized = httpx.Response(401, json={"error": {"code": 401, "message": "No auth"}})
    assert assert_contract(unauthorized, "acme/chat", root=sample).branch == "error"


def test_a_status_given_overrides_the_default(sample: Path) -> None:
    result = assert_contract(
        {"error": {"code": 401, "message": "No auth"}}, "acme/chat", status=401, root=sample
    )
    assert (result.status, result.branch) == (401, "error")


def test_a_response_header_contract_is_checked_on_an_httpx_response(sample: Path) -> None:
    with pytest.raises(ContractAssertionError, match="x-request-id"):
        assert_contract(httpx.Response(200, json=GOOD), "acme/chat", root=sample)


def test_a_streamed_response_is_checked_event_by_event(sample: Path) -> None:
    stream = (sample / "cassettes/acme/chat_stream.json").read_bytes()
    body = "\n".join(orjson.loads(stream)["interactions"][0]["response"]["body"]["sse"])
    assert assert_contract(body, "acme/chat_stream", root=sample).events == body.count("data: ")
    with pytest.raises(ContractAssertionError, match="acme/chat_stream: the response"):
        assert_contract(body.replace("data: [DONE]", ""), "acme/chat_stream", root=sample)


def test_something_that_is_not_a_response_is_a_type_error(sample: Path) -> None:
    with pytest.raises(TypeError) as caught:
        assert_contract(3.5, "acme/chat", root=sample)
    assert str(caught.value) == NOT_A_RESPONSE.format(kind="float")


def test_an_unknown_endpoint_suggests_the_closest(sample: Path) -> None:
    with pytest.raises(UnknownName, match="did you mean 'acme/chat'"):
        assert_contract(GOOD, "acme/chta", root=sample)


def test_without_a_root_the_configured_project_is_used(sample: Path) -> None:
    configure(sample)
    try:
        assert assert_contract(GOOD, "acme/chat").ok
        with pytest.raises(UnknownName):
            assert_contract(GOOD, "openrouter/models")  # the repository's, not configured
    finally:
        unconfigure()


def test_the_validator_returns_the_result_without_raising(sample: Path) -> None:
    validator = ContractValidator(project(sample))
    result = validator.check(without_usage(), "acme/chat")
    assert not result.ok and [v.instance_path for v in result.violations] == [""]
    with pytest.raises(ContractAssertionError):
        validator(without_usage(), "acme/chat")
