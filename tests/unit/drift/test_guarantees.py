"""What an endpoint's schemas say of one drift path, through every `$ref`, status and event."""

from __future__ import annotations

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.drift.guarantees import guarantee, split_group, values_at
from support.paths import SAMPLE

REGISTRY = Registry.load(SAMPLE / "contracts")


@pytest.mark.parametrize(
    ("endpoint", "path", "possible", "guaranteed", "why"),
    [
        ("acme/chat", "usage.total_tokens", True, True, ""),
        (
            "acme/chat",
            "choices[].message.content",
            True,
            False,
            "nullable at choices[].message.content",
        ),
        ("acme/chat", "error.message", True, True, ""),
        ("acme/chat", "model", True, False, "no schema describes it"),
        ("acme/chat", "id[]", False, False, "id is string, never an array"),
        (
            "acme/chat_stream",
            "events[chat.completion.chunk].usage.total_tokens",
            True,
            False,
            "optional at usage",
        ),
        ("acme/chat_stream", "events[error].error.message", True, True, ""),
        ("beta/messages_stream", "events[nope].x", True, False, "no schema describes it"),
    ],
    ids=lambda v: v if isinstance(v, str) and v else None,
)
def test_a_path_is_possible_and_guaranteed_as_the_schemas_say(
    endpoint: str, path: str, possible: bool, guaranteed: bool, why: str
) -> None:
    found = guarantee(REGISTRY.endpoint(endpoint), path)
    assert (found.possible, found.guaranteed, found.why) == (possible, guaranteed, why)


def test_a_closed_set_of_values_is_read_through_the_schema() -> None:
    found = guarantee(REGISTRY.endpoint("acme/chat"), "choices[].finish_reason")
    assert found.values == frozenset({'"stop"', '"length"', '"tool_calls"'})


def test_an_event_path_splits_into_its_group_and_the_rest() -> None:
    assert split_group("events[chat.completion.chunk].choices[]") == (
        "chat.completion.chunk",
        "choices[]",
    )
    assert split_group("usage.total_tokens") == (None, "usage.total_tokens")
    assert values_at({"choices": [{"x": 1}, {"x": 2}]}, "choices[].x") == [1, 2]
