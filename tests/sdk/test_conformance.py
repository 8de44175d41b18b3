"""Every interaction of every committed cassette, consumed by the SDK a gateway would use.

Each interaction goes two ways: through `contracts serve` (the replay server on
127.0.0.1, the interaction asked for by header) and through the pytest plugin's
transport (the interaction selected, nothing sent). Successes parse into the SDK's types
and give back the recorded values; streams iterate to the end and assemble; errors raise
the SDK's exception class for their status. The SDK versions are pinned in the test
extras; a newer major that reads a recording differently fails here, naming the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
import openai
import orjson
import pytest
import stripe

from provider_contracts.cassettes.cassette import Interaction, cassette_paths, read
from provider_contracts.contract import sse
from provider_contracts.contract.registry import Endpoint
from provider_contracts.project import Project, project
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.server import INTERACTION_HEADER, ReplayServer
from provider_contracts.replay.state import is_list
from provider_contracts.replay.transports import ReplayTransport
from support.paths import REPO
from support.sdk import Way, driver, expected_error, sdk_of, status_of

# stripe's HTTPXClient hands httpx its form body as `data=str`, which httpx deprecates.
# anthropic warns of a recorded model's retirement date, which is not the replay's concern.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning"),
]


def _cases() -> Iterator[Any]:
    registry = Project.at(REPO).require().registry
    for name in registry.names:
        for endpoint in registry.provider(name).endpoints.values():
            position = 0
            for path in cassette_paths(REPO / "cassettes", name, endpoint.name):
                for interaction in read(path).interactions:
                    yield pytest.param(
                        endpoint, interaction, position, id=f"{endpoint.id}#{position}"
                    )
                    position += 1


CASES = list(_cases())


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer.at(REPO) as running:
        yield running


def _serve(server: ReplayServer, endpoint: Endpoint, position: int) -> Way:
    base = server.base_url(endpoint.provider, prefixed=True)
    return Way("serve", base, {INTERACTION_HEADER: str(position)})


def _plugin(endpoint: Endpoint, position: int) -> Way:
    chosen = candidates(project(REPO), [Selection(endpoint.id, position)])
    base = Project.at(REPO).require().registry.provider(endpoint.provider).base_url
    return Way("plugin", base, {}, ReplayTransport(Replayer(chosen)))


@pytest.mark.parametrize(("endpoint", "interaction", "position"), CASES)
def test_through_contracts_serve(
    server: ReplayServer, endpoint: Endpoint, interaction: Interaction, position: int
) -> None:
    conforms(endpoint, interaction, _serve(server, endpoint, position))


@pytest.mark.parametrize(("endpoint", "interaction", "position"), CASES)
def test_through_the_plugin_transport(
    endpoint: Endpoint, interaction: Interaction, position: int
) -> None:
    conforms(endpoint, interaction, _plugin(endpoint, position))


def conforms(endpoint: Endpoint, interaction: Interaction, way: Way) -> None:
    drive = driver(endpoint.id)
    assert drive is not None, f"{endpoint.id}: no SDK call in tests/support/sdk.py drives it"
    response = interaction.response
    sdk = sdk_of(endpoint.provider)
    if response.status >= 400:
        with pytest.raises(expected_error(sdk, response.status)) as caught:
            drive(way, interaction)
        assert status_of(caught.value) == response.status
        return
    if response.body.kind == "sse":
        events = [_json(e.data) for e in sse.parse(response.body.text).data_events]
        values = [v for v in events if v is not None]
        if any(endpoint.is_error_body(v) for v in values):
            # An error chunk inside a 200 stream: the openai SDK raises a bare APIError,
            # without a status; the gateway must catch it (examples/gateway shows how).
            with pytest.raises(openai.APIError) as caught:
                drive(way, interaction)
            assert type(caught.value) is openai.APIError
            return
        _stream_assembles(sdk, drive(way, interaction), values)
        return
    result = drive(way, interaction)
    _parses(sdk, result, response.body.value, endpoint)


def _json(data: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # [DONE]


def _parses(sdk: str, result: Any, recorded: Any, endpoint: Endpoint) -> None:
    if isinstance(result, list):  # a page the driver iterated
        assert [_dumped(sdk, item) for item in result] == recorded["data"]
        return
    if sdk == "openai" and isinstance(result, dict):  # the generic `get`: plain JSON
        assert result == recorded
        return
    expected_type = {
        "openai": openai.BaseModel,
        "anthropic": anthropic.BaseModel,
        "stripe": stripe.StripeObject,
    }[sdk]
    assert isinstance(result, expected_type)
    if is_list(recorded):
        # Paged from the recorded items: `has_more` says whether any remain (none here).
        recorded = {**recorded, "has_more": False}
    assert _dumped(sdk, result) == recorded
    if endpoint.is_error_body(recorded):
        # An error under HTTP 200 parses as a success; the error is kept as an extra field.
        assert sdk == "openai" and result.model_extra is not None
        assert result.model_extra[endpoint.error_branch.key] == recorded[endpoint.error_branch.key]  # type: ignore[union-attr]


def _dumped(sdk: str, value: Any) -> Any:
    if sdk == "stripe":
        return _plain(value)
    return value.to_dict(mode="json")


def _plain(value: Any) -> Any:
    if isinstance(value, stripe.StripeObject):
        return {k: _plain(v) for k, v in value._to_dict_recursive().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):  # stripe reads decimal strings (`amount_decimal`) as Decimal
        return str(value)
    return value


def _stream_assembles(sdk: str, result: Any, events: list[Any]) -> None:
    if sdk == "openai":
        chunks = [c for c in events if c.get("object") == "chat.completion.chunk"]
        assert [c.to_dict(mode="json") for c in result] == chunks
        text = "".join(
            (choice.get("delta") or {}).get("content") or ""
            for chunk in chunks
            for choice in chunk.get("choices", [])
        )
        assert "".join(c.choices[0].delta.content or "" for c in result if c.choices) == text
        return
    text, final = result
    deltas = [e["delta"] for e in events if e.get("type") == "content_block_delta"]
    assert text == "".join(d.get("text", "") for d in deltas if d.get("type") == "text_delta")
    stop = next(e["delta"]["stop_reason"] for e in events if e.get("type") == "message_delta")
    assert isinstance(final, anthropic.types.Message) and final.stop_reason == stop
    started = next(e["message"] for e in events if e.get("type") == "message_start")
    assert final.id == started["id"]
