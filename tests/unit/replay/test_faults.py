"""`status:N` answers the provider's own error envelope, which passes its error contract."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from provider_contracts.contract.validation import validate_response
from provider_contracts.project import Project
from provider_contracts.replay.server import ReplayServer
from support.paths import REPO

STATUSES = (400, 401, 402, 403, 404, 429, 500, 503, 529)
# A request each provider's first endpoint answers, by provider.
CALLS = {
    "anthropic": ("POST", "/v1/messages", {"model": "claude-x", "max_tokens": 1, "messages": []}),
    "openai": ("POST", "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": []}),
    "openrouter": ("POST", "/api/v1/chat/completions", {"model": "x", "messages": []}),
    "portkey": ("POST", "/v1/chat/completions", {"model": "x", "messages": []}),
    "stripe": ("GET", "/v1/events", None),
}


def _applies(provider: str, status: int) -> bool:
    return status != 529 or provider == "anthropic"  # 529 is Anthropic's own "overloaded"


CASES = [
    pytest.param(provider, status, id=f"{provider}-{status}")
    for provider in CALLS
    for status in STATUSES
    if _applies(provider, status)
]


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer.at(REPO) as running:
        yield running


@pytest.mark.parametrize(("provider", "status"), CASES)
def test_a_simulated_error_passes_the_providers_error_contract(
    server: ReplayServer, provider: str, status: int
) -> None:
    method, path, body = CALLS[provider]
    server.alterations = [f"status:{status}@{provider}*1"]
    response = httpx.request(method, f"{server.url}/{provider}{path}", json=body)
    assert response.status_code == status
    endpoint = Project.at(REPO).require().registry.endpoint(server.exchanges[-1].endpoint or "")
    checked = validate_response(endpoint, status, response.content, dict(response.headers))
    assert checked.violations == (), [str(v) for v in checked.violations]
    assert checked.branch == "error"
    assert "simulated" in response.text or _recorded_with(server, provider, status)


def _recorded_with(server: ReplayServer, provider: str, status: int) -> bool:
    """Whether a recorded error with this status was sent as recorded (real data)."""
    return any(
        c.payload is not None
        and c.payload.status == status
        and c.route.endpoint.startswith(provider)
        for c in server.candidates
    )


def test_a_recorded_error_of_that_status_is_sent_as_recorded(server: ReplayServer) -> None:
    server.alterations = ["status:402@openrouter*1"]
    response = httpx.post(server.base_url("openrouter") + "/chat/completions", json={})
    assert response.json() == {
        "error": {
            "code": 402,
            "message": "Insufficient credits. Add more using https://openrouter.ai/credits",
        }
    }


def test_retry_after_is_set_when_asked_and_a_429_defaults_to_one_second(
    server: ReplayServer,
) -> None:
    server.alterations = ["status:429@openai*1", "status:503:7@openai*1"]
    url = server.base_url("openai") + "/chat/completions"
    assert httpx.post(url, json={}).headers["retry-after"] == "1"
    assert httpx.post(url, json={}).headers["retry-after"] == "7"


def test_anthropic_529_is_the_sdks_overloaded_error(server: ReplayServer) -> None:
    server.alterations = ["status:529@anthropic*1"]
    client = anthropic.Anthropic(api_key="test", base_url=server.url + "/anthropic", max_retries=0)
    with client, pytest.raises(anthropic.OverloadedError) as caught:
        client.messages.create(model="claude-x", max_tokens=1, messages=[])
    assert caught.value.type == "overloaded_error"


def test_an_openai_503_is_the_sdks_internal_server_error(server: ReplayServer) -> None:
    server.alterations = ["status:503@openai*1"]
    client = openai.OpenAI(api_key="test", base_url=server.base_url("openai"), max_retries=0)
    with client, pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=[])
    assert caught.value.status_code == 503 and caught.value.type == "server_error"
