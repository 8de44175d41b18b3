"""Drift: shapes, not values, compared and classified (breaking / risky / additive / noise),
against the sample project's schemas (acme: a chat completion and a data stream, beta: a
typed stream) and small schemas written for one construct each."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.cassettes.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    read,
)
from provider_contracts.contract.body import Body
from provider_contracts.contract.registry import Endpoint, Registry
from provider_contracts.drift.classify import compare
from provider_contracts.drift.findings import REASONS, Finding, worst
from provider_contracts.drift.pairing import compare_interactions
from provider_contracts.drift.shape import shape
from support.paths import DATA as _DATA
from support.paths import REPO

SAMPLE = _DATA / "sample"

COMPLETION: dict[str, Any] = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "created": 1_760_000_000,
    "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "OK"}}],
    "usage": {"total_tokens": 3},
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(SAMPLE / "contracts")


@pytest.fixture(scope="module")
def chat(registry: Registry) -> Endpoint:
    return registry.endpoint("acme/chat")


def edited(body: Any, edit: Callable[[Any], object]) -> Any:
    """A deep copy of `body` changed by `edit` (which changes it in place)."""
    copied = copy.deepcopy(body)
    edit(copied)
    return copied


def summary(findings: tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    return [(f.path, f.change, f.severity) for f in findings]


def _set(path: str, value: Any) -> Callable[[Any], None]:
    """An edit: set a dotted path (`choices.0.message.role`) to `value`."""

    def edit(body: Any) -> None:
        *parents, last = path.split(".")
        for part in parents:
            body = body[int(part)] if part.isdigit() else body[part]
        body[int(last) if last.isdigit() else last] = value

    return edit


def _drop(path: str) -> Callable[[Any], None]:
    def edit(body: Any) -> None:
        *parents, last = path.split(".")
        for part in parents:
            body = body[int(part)] if part.isdigit() else body[part]
        del body[last]

    return edit


# --- the classification, against the acme completion schema ---------------------------------

TWO_CHOICES = edited(COMPLETION, lambda b: b["choices"].append(copy.deepcopy(b["choices"][0])))
WITH_MODEL = edited(COMPLETION, _set("model", "tiny"))
WITH_COST = edited(COMPLETION, _set("usage.cost", 0))

CLASSIFIED = [
    (
        "a removed required field is breaking",
        COMPLETION,
        edited(COMPLETION, _drop("choices.0.finish_reason")),
        [("choices[].finish_reason", "removed", "breaking")],
    ),
    (
        "a removed field the schema does not know is risky",
        WITH_MODEL,
        COMPLETION,
        [("model", "removed", "risky")],
    ),
    (
        "an added field is additive",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.message.refusal", None)),
        [("choices[].message.refusal", "added", "additive")],
    ),
    (
        "a type the schema does not allow is breaking, through a $ref into _shared",
        COMPLETION,
        edited(COMPLETION, _set("usage.total_tokens", "3")),
        [("usage.total_tokens", "type_changed", "breaking")],
    ),
    (
        "null where the schema allows it is risky",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.message.content", None)),
        [("choices[].message.content", "nullable", "risky")],
    ),
    (
        "null where the schema does not allow it is breaking",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.message.role", None)),
        [("choices[].message.role", "nullable", "breaking")],
    ),
    (
        "a value outside a closed enum is breaking",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.finish_reason", "content_filter")),
        [("choices[].finish_reason", "enum_value", "breaking")],
    ),
    (
        "a value the enum lists is noise",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.finish_reason", "length")),
        [("choices[].finish_reason", "enum_value", "noise")],
    ),
    (
        "a new value of a const is breaking",
        COMPLETION,
        edited(COMPLETION, _set("object", "chat.completion.v2")),
        [("object", "enum_value", "breaking")],
    ),
    (
        "a new value of an open field is not drift",
        COMPLETION,
        edited(COMPLETION, _set("id", "cmpl-2")),
        [],
    ),
    (
        "a volatile field that goes is noise",
        COMPLETION,
        edited(COMPLETION, _drop("created")),
        [("created", "removed", "noise")],
    ),
    (
        "a volatile field the schema requires that goes is breaking",
        COMPLETION,
        edited(COMPLETION, _drop("id")),
        [("id", "removed", "breaking")],
    ),
    (
        "a volatile field's type still counts",
        COMPLETION,
        edited(COMPLETION, _set("id", 1)),
        [("id", "type_changed", "breaking")],
    ),
    (
        "a volatile field's content type the schema allows is risky",
        edited(COMPLETION, _set("choices.0.message.content", None)),
        COMPLETION,
        [("choices[].message.content", "type_changed", "risky")],
    ),
    (
        "a usage number turning decimal is noise",
        WITH_COST,
        edited(WITH_COST, _set("usage.cost", 0.0012)),
        [("usage.cost", "type_changed", "noise")],
    ),
    (
        "a type only narrowing is not reported",
        edited(TWO_CHOICES, _set("choices.1.message.content", None)),
        TWO_CHOICES,
        [],
    ),
    (
        "an element lacking a required field is breaking",
        TWO_CHOICES,
        edited(TWO_CHOICES, _drop("choices.1.finish_reason")),
        [("choices[].finish_reason", "removed", "breaking")],
    ),
    (
        "a removed object is one finding",
        edited(COMPLETION, _set("meta", {"a": 1, "b": {"c": [1, 2]}})),
        COMPLETION,
        [("meta", "removed", "risky")],
    ),
    (
        "the fields of a list that was always empty are not compared",
        edited(COMPLETION, _set("choices.0.message.tool_calls", [])),
        edited(COMPLETION, _set("choices.0.message.tool_calls", [{"id": "t", "type": "function"}])),
        [],
    ),
    (
        "the fields of an object that was always null are not compared",
        edited(COMPLETION, _set("logprobs", None)),
        edited(COMPLETION, _set("logprobs", {"content": []})),
        [("logprobs", "type_changed", "risky")],
    ),
    (
        "an error body under 200 is one breaking finding",
        COMPLETION,
        {"error": {"code": 502, "message": "upstream failed"}},
        [("", "type_changed", "breaking")],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in CLASSIFIED], ids=[c[0] for c in CLASSIFIED]
)
def test_classification_against_the_schema(
    chat: Endpoint, old: Any, new: Any, expected: list[tuple[str, str, str]]
) -> None:
    assert summary(compare(old, new, chat)) == expected


WITHOUT_A_CONTRACT = [
    (
        "a removed field is risky",
        COMPLETION,
        edited(COMPLETION, _drop("choices.0.finish_reason")),
        [("choices[].finish_reason", "removed", "risky")],
    ),
    (
        "a changed type is risky",
        COMPLETION,
        edited(COMPLETION, _set("usage.total_tokens", "3")),
        [("usage.total_tokens", "type_changed", "risky")],
    ),
    (
        "null is risky",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.message.role", None)),
        [("choices[].message.role", "nullable", "risky")],
    ),
    (
        "an added field is additive",
        COMPLETION,
        edited(COMPLETION, _set("provider", "Acme")),
        [("provider", "added", "additive")],
    ),
    (
        "values are not compared at all",
        COMPLETION,
        edited(COMPLETION, _set("choices.0.finish_reason", "content_filter")),
        [],
    ),
    (
        "an id's type still counts",
        COMPLETION,
        edited(COMPLETION, _set("id", 7)),
        [("id", "type_changed", "risky")],
    ),
    (
        "an error body is one risky finding",
        COMPLETION,
        {"error": {"message": "no"}},
        [("", "type_changed", "risky")],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [c[1:] for c in WITHOUT_A_CONTRACT],
    ids=[c[0] for c in WITHOUT_A_CONTRACT],
)
def test_classification_without_a_contract(
    old: Any, new: Any, expected: list[tuple[str, str, str]]
) -> None:
    assert summary(compare(old, new)) == expected


@pytest.mark.parametrize(
    "path", ["id", "data.id", "created", "expires_at", "usage.prompt_tokens", "system_fingerprint"]
)
def test_ids_timestamps_and_usage_numbers_are_noise_by_name(path: str) -> None:
    old = {"data": {"name": "x"}, "usage": {"total_tokens": 1}}
    new = edited(old, _set(path, 1))
    assert summary(compare(old, new)) == [(path, "added", "noise")]


def test_findings_carry_shapes_and_a_reason(chat: Endpoint) -> None:
    new = edited(COMPLETION, _set("usage.total_tokens", "3"))
    assert compare(COMPLETION, new, chat) == (
        Finding(
            path="usage.total_tokens",
            change="type_changed",
            old="integer",
            new="string",
            severity="breaking",
            reason=REASONS["type_outside"].format(allowed="integer", new="string"),
        ),
    )


def test_findings_are_sorted_worst_first(chat: Endpoint) -> None:
    new = edited(COMPLETION, _set("zeta", 1))
    new = edited(new, _drop("usage"))
    new = edited(new, _set("choices.0.finish_reason", None))
    assert [f.severity for f in compare(COMPLETION, new, chat)] == [
        "breaking",
        "breaking",
        "additive",
    ]


# --- arrays ---------------------------------------------------------------------------------


def test_a_field_added_to_every_element_is_one_finding() -> None:
    old = {"data": [{"id": f"m{n}", "name": f"Model {n}"} for n in range(350)]}
    new = {"data": [{"id": f"x{n}", "name": f"M {n}", "is_free": n % 2 == 0} for n in range(350)]}
    assert summary(compare(old, new)) == [("data[].is_free", "added", "additive")]


def test_the_shape_of_a_list_merges_its_elements() -> None:
    body = {"data": [{"a": 1, "b": "x"}, {"a": None}, {"a": 2.5, "c": [[True]]}]}
    assert shape(body) == {
        "": "object",
        "data": "array",
        "data[]": "object",
        "data[].a": "integer|number|null",
        "data[].b": "string|absent",
        "data[].c": "array|absent",
        "data[].c[]": "array",
        "data[].c[][]": "boolean",
    }


def test_values_from_elsewhere_than_a_json_parser_are_read_as_json() -> None:
    assert shape({"a": (1, 2)}) == {"": "object", "a": "array", "a[]": "integer"}


# --- what the schema says, construct by construct ----------------------------------------------


def tiny(sample: Path, schema: dict[str, Any]) -> Endpoint:
    """A provider `tiny` in the sample project whose one endpoint answers `schema`."""
    folder = sample / "contracts" / "tiny"
    (folder / "endpoints").mkdir(parents=True)
    (folder / "schemas").mkdir()
    (folder / "provider.yaml").write_text(
        "title: Tiny\nbase_url: https://tiny.test\nauth: {env: TINY_KEY, header: x-api-key}\n"
    )
    (folder / "endpoints" / "thing.yaml").write_text(
        "description: A thing.\nmethod: GET\npath: /thing\nprobe: {}\n"
        'responses: {"200": schemas/thing.schema.json}\n'
    )
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    (folder / "schemas" / "thing.schema.json").write_text(json.dumps(document))
    return Registry.load(sample / "contracts").endpoint("tiny/thing")


def test_a_field_added_where_the_schema_closes_the_object_is_breaking(sample: Path) -> None:
    endpoint = tiny(sample, {"type": "object", "additionalProperties": False,
                             "properties": {"a": {"type": "string"}}})  # fmt: skip
    assert summary(compare({"a": "x"}, {"a": "x", "b": 1}, endpoint)) == [
        ("b", "added", "breaking")
    ]


def test_the_keys_of_a_map_are_noise(sample: Path) -> None:
    endpoint = tiny(sample, {"type": "object", "properties": {
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}}}})  # fmt: skip
    old, new = {"metadata": {"order": "1"}}, {"metadata": {"cart": "2"}}
    assert summary(compare(old, new, endpoint)) == [
        ("metadata.cart", "added", "noise"),
        ("metadata.order", "removed", "noise"),
    ]


def test_the_values_of_a_map_are_typed(sample: Path) -> None:
    endpoint = tiny(sample, {"type": "object", "properties": {
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}}}})  # fmt: skip
    old, new = {"metadata": {"order": "1"}}, {"metadata": {"order": 1}}
    assert summary(compare(old, new, endpoint)) == [("metadata.order", "type_changed", "breaking")]


VARIANTS = {
    "type": "object",
    "properties": {
        "block": {
            "anyOf": [
                {"required": ["type", "text"], "properties": {"type": {"const": "text"}}},
                {"required": ["type", "name"], "properties": {"type": {"const": "tool"}}},
            ]
        }
    },
}


def test_a_field_only_one_variant_requires_is_risky_when_it_goes(sample: Path) -> None:
    endpoint = tiny(sample, VARIANTS)
    old, new = {"block": {"type": "text", "text": "hi"}}, {"block": {"type": "text"}}
    assert summary(compare(old, new, endpoint)) == [("block.text", "removed", "risky")]


def test_a_field_every_variant_requires_is_breaking_when_it_goes(sample: Path) -> None:
    endpoint = tiny(sample, VARIANTS)
    old, new = {"block": {"type": "text", "text": "hi"}}, {"block": {"text": "hi"}}
    assert summary(compare(old, new, endpoint)) == [("block.type", "removed", "breaking")]


def test_the_variants_values_make_one_closed_enum(sample: Path) -> None:
    endpoint = tiny(sample, VARIANTS)
    old = {"block": {"type": "text", "text": "hi"}}
    listed = compare(old, {"block": {"type": "tool", "name": "f"}}, endpoint)
    unlisted = compare(old, {"block": {"type": "image", "text": "hi"}}, endpoint)
    assert ("block.type", "enum_value", "noise") in summary(listed)
    assert summary(unlisted) == [("block.type", "enum_value", "breaking")]


def cassette_of(endpoint: Endpoint, bodies: list[Any]) -> Cassette:
    """A cassette of 200 JSON answers from `endpoint`, one per body."""
    request = RecordedRequest(
        endpoint.method, f"https://tiny.test{endpoint.path}", {}, Body("empty", None)
    )
    return Cassette(Path("tiny.json"), {}, tuple(
        Interaction(n, None, None, request, RecordedResponse(200, "OK", {}, Body("json", body)))
        for n, body in enumerate(bodies)
    ))  # fmt: skip


# An open set as contracts/README.md writes it: the known members in `x-open-enum`, each
# member's shape checked by an `if`/`then`, an unknown member let through with its type.
OPEN_BLOCKS = {
    "$defs": {
        "Text": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        "Block": {
            "type": "object", "required": ["type"],
            "properties": {"type": {"type": "string", "x-open-enum": ["text", "tool_use"],
                                    "not": {"enum": ["image"]}}},
            "allOf": [{"if": {"properties": {"type": {"const": "text"}}},
                       "then": {"$ref": "#/$defs/Text"}}],
        },
    },
    "type": "object",
    "properties": {"content": {"type": "array", "items": {"$ref": "#/$defs/Block"}},
                   "stop_reason": {"enum": ["end_turn", "tool_use"]}},
}  # fmt: skip


def test_a_new_member_of_an_open_set_is_risky_for_a_person_to_review(sample: Path) -> None:
    endpoint = tiny(sample, OPEN_BLOCKS)
    old = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    new = {"content": [{"type": "mcp_tool_use", "name": "f"}], "stop_reason": "end_turn"}
    (finding,) = [f for f in compare(old, new, endpoint) if f.change == "enum_value"]
    assert (finding.path, finding.old, finding.new) == ("content[].type", "text", "mcp_tool_use")
    assert finding.severity == "risky"
    assert finding.reason == REASONS["open_new"].format(known="text|tool_use")
    assert "review" in finding.reason


def test_a_known_member_of_an_open_set_is_noise_and_a_closed_set_still_breaks(
    sample: Path,
) -> None:
    endpoint = tiny(sample, OPEN_BLOCKS)
    old = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    known = {"content": [{"type": "tool_use"}], "stop_reason": "end_turn"}
    closed = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "pause_turn"}
    assert ("content[].type", "enum_value", "noise") in summary(compare(old, known, endpoint))
    assert summary(compare(old, closed, endpoint)) == [("stop_reason", "enum_value", "breaking")]


def test_a_new_member_of_an_open_set_is_risky_across_cassettes_too(sample: Path) -> None:
    endpoint = tiny(sample, OPEN_BLOCKS)
    old = cassette_of(endpoint, [{"content": [{"type": "text", "text": "hi"}]}] * 3)
    new = cassette_of(endpoint, [{"content": [{"type": "text", "text": "hi"}]}] * 2
                      + [{"content": [{"type": "compaction"}]}])  # fmt: skip
    assert summary(compare_interactions(old, new, endpoint)) == [
        ("content[].text", "removed", "risky"),  # only the `text` member requires it
        ("content[].type", "enum_value", "risky"),
    ]


def test_a_new_anthropic_content_block_type_is_risky_against_the_real_contract() -> None:
    endpoint = Registry.load(REPO / "contracts").endpoint("anthropic/messages")
    committed = read(REPO / "cassettes" / "anthropic" / "messages.json")
    old = committed.interactions[0].response.body.value
    new = copy.deepcopy(old)
    new["content"].append({"type": "some_block_of_2027", "id": "blk_1"})
    found = [f for f in compare(old, new, endpoint) if f.path == "content[].type"]
    assert [(f.change, f.new, f.severity) for f in found] == [
        ("enum_value", "some_block_of_2027", "risky")
    ]
    assert "review" in found[0].reason


def test_a_ref_to_a_missing_schema_file_is_a_contract_error_naming_it(sample: Path) -> None:
    from provider_contracts.errors import ContractError

    endpoint = tiny(sample, {"properties": {"a": {"$ref": "gone.schema.json#/x"}}})
    with pytest.raises(ContractError, match=r"gone\.schema\.json: cannot read"):
        compare({"a": 1}, {"a": "1"}, endpoint)


def test_a_nullable_written_with_if_else_allows_null(sample: Path) -> None:
    endpoint = tiny(sample, {"type": "object", "properties": {
        "reason": {"if": {"type": "null"}, "else": {"enum": ["stop", "length"]}}}})  # fmt: skip
    to_null = compare({"reason": "stop"}, {"reason": None}, endpoint)
    to_other = compare({"reason": "stop"}, {"reason": "filter"}, endpoint)
    assert summary(to_null) == [("reason", "nullable", "risky")]
    assert summary(to_other) == [("reason", "enum_value", "breaking")]


def test_a_recursive_schema_is_read_to_any_depth(sample: Path) -> None:
    endpoint = tiny(sample, {
        "$defs": {"Node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
        "$ref": "#/$defs/Node"})  # fmt: skip
    old = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    new = edited(old, lambda b: b["children"][0]["children"][0].pop("name"))
    assert summary(compare(old, new, endpoint)) == [
        ("children[].children[].name", "removed", "breaking")
    ]


def test_a_ref_outside_the_contracts_folder_constrains_nothing(sample: Path) -> None:
    endpoint = tiny(sample, {"type": "object", "properties": {
        "a": {"$ref": "https://example.test/schema.json"},
        "b": {"$ref": "../../../../outside.json"}}})  # fmt: skip
    changed = compare({"a": 1, "b": 1}, {"a": "1", "b": "1"}, endpoint)
    assert summary(changed) == [("a", "type_changed", "risky"), ("b", "type_changed", "risky")]


# --- streams ------------------------------------------------------------------------------------

CHUNK = {"id": "c1", "object": "chat.completion.chunk"}
CHUNKS = [
    {**CHUNK, "choices": [{"delta": {"content": "O"}, "finish_reason": None}]},
    {**CHUNK, "choices": [{"delta": {"content": "K"}, "finish_reason": "stop"}]},
    {**CHUNK, "choices": [], "usage": {"total_tokens": 5}},
]


def data_stream(
    chunks: list[Any], done: bool = True, comments: bool = False, truncated: bool = False
) -> Body:
    text = ": PROCESSING\n\n" if comments else ""
    text += "".join(f"data: {orjson.dumps(c).decode()}\n\n" for c in chunks)
    text += "data: [DONE]\n\n" if done else ""
    return Body("sse", text + 'data: {"id": "c1", "obj' if truncated else text)


def typed_stream(*names: str, index: Any = 0) -> Body:
    events = []
    for name in names:
        data = {"type": name, "index": index} if "block" in name else {"type": name}
        events.append(f"event: {name}\ndata: {orjson.dumps(data).decode()}\n\n")
    return Body("sse", "".join(events))


@pytest.fixture(scope="module")
def chat_stream(registry: Registry) -> Endpoint:
    return registry.endpoint("acme/chat_stream")


@pytest.fixture(scope="module")
def messages(registry: Registry) -> Endpoint:
    return registry.endpoint("beta/messages_stream")


def test_a_field_added_to_every_chunk_is_one_finding(chat_stream: Endpoint) -> None:
    new = [{**c, "provider": "Acme"} for c in CHUNKS]
    assert summary(compare(data_stream(CHUNKS), data_stream(new), chat_stream)) == [
        ("events[chat.completion.chunk].provider", "added", "additive")
    ]


def test_stream_values_are_not_shape(chat_stream: Endpoint) -> None:
    new = [edited(c, _set("id", "c2")) for c in CHUNKS]
    new[0]["choices"][0]["delta"]["content"] = "Hello there"
    assert compare(data_stream(CHUNKS), data_stream(new), chat_stream) == ()


def test_chunk_enum_values_are_read_against_the_event_schema(chat_stream: Endpoint) -> None:
    new = edited(CHUNKS, _set("1.choices.0.finish_reason", "weird"))
    assert summary(compare(data_stream(CHUNKS), data_stream(new), chat_stream)) == [
        ("events[chat.completion.chunk].choices[].finish_reason", "enum_value", "breaking")
    ]


STREAM_CHANGES = [
    (
        "a lost terminator is breaking",
        {},
        {"done": False},
        [("stream.terminator", "stream", "breaking")],
        [("stream.terminator", "stream", "risky")],
    ),
    (
        "comment lines that appear are risky",
        {},
        {"comments": True},
        [("stream.comments", "stream", "risky")],
        [("stream.comments", "stream", "risky")],
    ),
    (
        "comment lines that go are noise",
        {"comments": True},
        {},
        [("stream.comments", "stream", "noise")],
        [("stream.comments", "stream", "noise")],
    ),
    (
        "a stream that ends mid-event is breaking",
        {},
        {"done": False, "truncated": True},
        [("stream.terminator", "stream", "breaking"), ("stream.truncated", "stream", "breaking")],
        [("stream.terminator", "stream", "risky"), ("stream.truncated", "stream", "risky")],
    ),
    (
        "the terminator the contract names that appears is additive",
        {"done": False},
        {},
        [("stream.terminator", "stream", "additive")],
        [("stream.terminator", "stream", "risky")],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "with_contract", "without"),
    [c[1:] for c in STREAM_CHANGES],
    ids=[c[0] for c in STREAM_CHANGES],
)
def test_the_structure_of_a_stream(
    chat_stream: Endpoint,
    old: dict[str, bool],
    new: dict[str, bool],
    with_contract: list[tuple[str, str, str]],
    without: list[tuple[str, str, str]],
) -> None:
    before, after = data_stream(CHUNKS, **old), data_stream(CHUNKS, **new)
    assert summary(compare(before, after, chat_stream)) == with_contract
    assert summary(compare(before, after)) == without


def test_an_error_chunk_in_a_stream_is_risky(chat_stream: Endpoint) -> None:
    new = [*CHUNKS, {**CHUNK, "error": {"code": 502, "message": "upstream"}, "choices": []}]
    assert summary(compare(data_stream(CHUNKS), data_stream(new), chat_stream)) == [
        ("events[error]", "stream", "risky")
    ]


def test_chunks_of_another_kind_are_breaking(chat_stream: Endpoint) -> None:
    new = [{**c, "object": "chat.completion.delta"} for c in CHUNKS]
    assert summary(compare(data_stream(CHUNKS), data_stream(new), chat_stream)) == [
        ("events[chat.completion.chunk]", "stream", "breaking"),
        ("events[chat.completion.delta]", "stream", "breaking"),
    ]


def test_a_json_body_where_a_stream_was_is_breaking(chat_stream: Endpoint) -> None:
    findings = compare(data_stream(CHUNKS), Body("json", COMPLETION), chat_stream)
    assert findings == (
        Finding("", "type_changed", "event-stream", "JSON", "breaking",
                REASONS["body_kind"].format(old="event-stream")),
    )  # fmt: skip


def test_text_bodies_have_no_shape_to_compare() -> None:
    assert compare(Body("text", "OK"), Body("text", "Fine, thanks")) == ()


TYPED = ("start", "content_block_start", "ping", "content_block_delta", "content_block_stop")

WITHOUT_PING = ("start", "content_block_start", "content_block_delta", "content_block_stop")
TYPED_CHANGES = [
    ("the last event gone is breaking", (*TYPED, "stop"), TYPED,
     [("events[stop]", "stream", "breaking")]),
    ("an optional event gone is noise", (*TYPED, "stop"), (*WITHOUT_PING, "stop"),
     [("events[ping]", "stream", "noise")]),
    ("a listed event that appears is additive", ("start", "stop"), ("start", "ping", "stop"),
     [("events[ping]", "stream", "additive")]),
    ("an unknown event is breaking", ("start", "stop"), ("start", "mystery", "stop"),
     [("events[mystery]", "stream", "breaking")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in TYPED_CHANGES], ids=[c[0] for c in TYPED_CHANGES]
)
def test_the_events_of_a_typed_stream(
    messages: Endpoint, old: tuple[str, ...], new: tuple[str, ...], expected: list[Any]
) -> None:
    assert summary(compare(typed_stream(*old), typed_stream(*new), messages)) == expected


def test_typed_events_are_read_against_their_own_schema(messages: Endpoint) -> None:
    old, new = typed_stream(*TYPED, "stop"), typed_stream(*TYPED, "stop", index="0")
    assert summary(compare(old, new, messages)) == [
        ("events[content_block_delta].index", "type_changed", "breaking"),
        ("events[content_block_start].index", "type_changed", "breaking"),
        ("events[content_block_stop].index", "type_changed", "breaking"),
    ]


def test_a_stream_without_a_contract_is_grouped_by_event_name() -> None:
    old, new = typed_stream("start", "stop"), typed_stream("start", "mystery")
    assert summary(compare(old, new)) == [
        ("events[mystery]", "stream", "risky"),
        ("events[stop]", "stream", "risky"),
    ]


# --- two cassettes --------------------------------------------------------------------------------


@pytest.fixture
def cassette() -> Cassette:
    return read(SAMPLE / "cassettes" / "acme" / "chat.json")


def with_body(item: Interaction, body: Any, status: int | None = None) -> Interaction:
    response = item.response
    changed = RecordedResponse(
        status if status is not None else response.status, response.reason, response.headers,
        Body("json", body),
    )  # fmt: skip
    return replace(item, response=changed)


def test_pairing_compares_each_pair_of_distinct_shapes_once(
    cassette: Cassette, chat: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provider_contracts.drift import pairing

    calls: list[int] = []
    real = pairing.classify

    def counted(*args: Any, **kwargs: Any) -> tuple[Finding, ...]:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pairing, "classify", counted)
    success = cassette.interactions[0]
    body = success.response.body.value

    def answer(n: int, drifted: bool) -> Interaction:
        value = edited(body, lambda b: b.update(id=f"cmpl-{n}"))  # values vary, shapes do not
        if drifted:
            value["choices"][0]["finish_reason"] = "length" if n % 2 else "stop"
        return replace(with_body(success, value), index=n)

    old = replace(cassette, interactions=tuple(answer(n, False) for n in range(300)))
    new = replace(cassette, interactions=tuple(answer(n, True) for n in range(300)))
    found = compare_interactions(old, new, chat)
    assert summary(found) == [("choices[].finish_reason", "enum_value", "noise")]
    assert len(calls) == 2  # 300 x 300 candidates, two distinct pairs of shapes


def test_identical_cassettes_do_not_drift(cassette: Cassette, chat: Endpoint) -> None:
    assert compare_interactions(cassette, cassette, chat) == ()


def test_interactions_are_paired_by_status(cassette: Cassette, chat: Endpoint) -> None:
    unauthorized = cassette.interactions[2]
    new_body = edited(unauthorized.response.body.value, _set("error.code", "401"))
    new = replace(
        cassette, interactions=(*cassette.interactions[:2], with_body(unauthorized, new_body))
    )
    assert summary(compare_interactions(cassette, new, chat)) == [
        ("error.code", "type_changed", "breaking")
    ]


def test_an_error_under_200_pairs_with_the_old_error_under_200(
    cassette: Cassette, chat: Endpoint
) -> None:
    failed = cassette.interactions[1]
    new_body = edited(failed.response.body.value, _drop("error.message"))
    new = replace(cassette, interactions=(cassette.interactions[0], with_body(failed, new_body),
                                          cassette.interactions[2]))  # fmt: skip
    assert summary(compare_interactions(cassette, new, chat)) == [
        ("error.message", "removed", "breaking")
    ]


def test_an_answer_never_recorded_before_is_risky(cassette: Cassette, chat: Endpoint) -> None:
    outage = with_body(cassette.interactions[2], {"error": {"code": 500, "message": "x"}}, 500)
    new = replace(cassette, interactions=(*cassette.interactions, outage))
    (finding,) = compare_interactions(cassette, new, chat)
    assert (finding.change, finding.new, finding.severity) == (
        "added",
        "POST /chat/completions 500",
        "risky",
    )


def test_with_a_contract_interactions_pair_by_its_path_whatever_the_url(
    cassette: Cassette, chat: Endpoint
) -> None:
    plain = cassette.interactions[0]
    elsewhere = replace(plain.request, uri="http://127.0.0.1:8123/acme/v1/chat/completions?x=1")
    new_body = edited(plain.response.body.value, _set("usage.total_tokens", "3"))
    new = replace(cassette, interactions=(replace(with_body(plain, new_body), request=elsewhere),))
    old = replace(cassette, interactions=(plain,))
    assert summary(compare_interactions(old, new, chat)) == [
        ("usage.total_tokens", "type_changed", "breaking")
    ]
    assert summary(compare_interactions(old, new, None))[0][2] == "risky"  # unpaired without one


def test_examples_a_probe_does_not_reproduce_are_noise(cassette: Cassette, chat: Endpoint) -> None:
    new = replace(cassette, interactions=cassette.interactions[:1])
    assert summary(compare_interactions(cassette, new, chat)) == [
        ("", "removed", "noise"),
        ("", "removed", "noise"),
    ]


def test_a_fresh_answer_pairs_with_the_example_it_resembles(
    cassette: Cassette, chat: Endpoint
) -> None:
    plain = cassette.interactions[0]
    tool_call = edited(
        plain.response.body.value, _set("choices.0.message.tool_calls", [{"id": "t"}])
    )
    tool_call["choices"][0]["message"]["content"] = None
    old = replace(cassette, interactions=(with_body(plain, tool_call), plain))
    new = replace(cassette, interactions=(plain,))
    assert summary(compare_interactions(old, new, chat)) == [("", "removed", "noise")]


def test_the_same_finding_in_several_pairs_is_reported_once(cassette: Cassette) -> None:
    plain = cassette.interactions[0]
    changed = with_body(plain, edited(plain.response.body.value, _set("extra", 1)))
    old = replace(cassette, interactions=(plain, plain))
    new = replace(cassette, interactions=(changed, changed))
    assert summary(compare_interactions(old, new, None)) == [("extra", "added", "additive")]


# --- worst, and the API -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severities", "expected"),
    [((), None), (("noise",), "noise"), (("noise", "additive"), "additive"),
     (("additive", "risky", "noise"), "risky"), (("risky", "breaking"), "breaking")],
    ids=["nothing", "noise", "additive over noise", "risky over additive", "breaking over all"],
)  # fmt: skip
def test_worst_ranks_breaking_over_risky_over_additive_over_noise(
    severities: tuple[str, ...], expected: str | None
) -> None:
    findings = [Finding("a", "added", "absent", "present", s, "") for s in severities]
    assert worst(findings) == expected


def test_a_finding_survives_its_json_form_and_shows_the_body_as_slash() -> None:
    finding = Finding("", "type_changed", "JSON", "event-stream", "breaking", "why")
    assert Finding.from_dict(orjson.loads(orjson.dumps(finding.to_dict()))) == finding
    assert (finding.location, finding.what) == ("/", "type changed")
    assert finding.transition == "JSON -> event-stream"


# --- properties ----------------------------------------------------------------------------------

keys = st.text("abcdefghij", min_size=1, max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


def revalued(value: Any) -> Any:
    """The same shape, every value different."""
    if isinstance(value, dict):
        return {k: revalued(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revalued(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value if value is None else not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 + 0.25
    return value + "~"


@given(documents)
def test_a_body_never_drifts_from_itself(document: Any) -> None:
    assert compare(document, document) == ()


@given(documents)
def test_values_are_not_shape(document: Any) -> None:
    assert compare(document, revalued(document)) == ()


@given(st.dictionaries(keys, documents, max_size=5), st.text("klmnop", min_size=1), documents)
def test_a_new_key_is_one_additive_finding(body: dict[str, Any], key: str, value: Any) -> None:
    assert summary(compare(body, {**body, key: value})) == [(key, "added", "additive")]


plain_keys = keys.filter(lambda key: key != "id")  # `id` is noise by name


@given(st.dictionaries(plain_keys, documents, min_size=1, max_size=5), st.data())
def test_a_removed_key_is_one_risky_finding(body: dict[str, Any], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(body)))
    rest = {k: v for k, v in body.items() if k != key}
    assert summary(compare(body, rest)) == [(key, "removed", "risky")]


# --- corners ----------------------------------------------------------------------------------


def test_an_integer_where_decimals_were_is_not_a_change() -> None:
    assert compare({"price": 0.5}, {"price": 1}) == ()


def test_a_terminator_the_contract_does_not_name_is_breaking(messages: Endpoint) -> None:
    old = typed_stream("start", "stop")
    new = Body("sse", str(old.value) + "data: [DONE]\n\n")
    assert summary(compare(old, new, messages)) == [("stream.terminator", "stream", "breaking")]


def test_a_changed_terminator_is_breaking(chat_stream: Endpoint) -> None:
    old = data_stream(CHUNKS)
    new = Body("sse", str(old.value).replace("[DONE]", "[END]"))
    assert summary(compare(old, new, chat_stream)) == [("stream.terminator", "stream", "breaking")]


def test_an_error_event_that_goes_is_noise(messages: Endpoint) -> None:
    old, new = typed_stream("start", "error"), typed_stream("start", "stop")
    assert ("events[error]", "stream", "noise") in summary(compare(old, new, messages))


def test_data_lines_that_are_not_json_are_text_events() -> None:
    old = Body("sse", 'data: {"a": 1}\n\ndata: keep-alive\n\ndata: [DONE]\n\n')
    new = Body("sse", 'data: {"a": 1, "b": 2}\n\ndata: keep-alive\n\ndata: [DONE]\n\n')
    assert shape(old) == {"events[message]": "object|text", "events[message].a": "integer"}
    assert summary(compare(old, new)) == [("events[message].b", "added", "additive")]


def test_an_error_body_of_a_stream_endpoint_is_read_against_its_status(
    chat_stream: Endpoint,
) -> None:
    old = {"error": {"code": 401, "message": "No auth"}}
    new = {"error": {"code": "401", "message": "No auth"}}
    assert summary(compare(old, new, chat_stream, status=401)) == [
        ("error.code", "type_changed", "breaking")
    ]


def test_all_of_ref_and_keywords_combine(sample: Path) -> None:
    endpoint = tiny(sample, {
        "$defs": {"Base": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"}, "tags": {"items": {"type": "string"}}}},
                  "flags": {"anyOf": [{"enum": [True, False]}]}},
        "allOf": [{"$ref": "#/$defs/Base"}, {"properties": {"tags": {"items": {"minLength": 1}}}}],
        "properties": {"on": {"$ref": "#/$defs/flags/anyOf/0"}, "size": {"type": "integer",
                       "nullable": True}, "odd": {"$ref": "#/$defs/missing"}},
    })  # fmt: skip
    old = {"id": "a", "tags": ["x"], "on": True, "size": 1, "odd": 1}
    new = {"tags": [1], "on": None, "size": None, "odd": "1"}
    assert summary(compare(old, new, endpoint)) == [
        ("id", "removed", "breaking"),
        ("on", "nullable", "breaking"),
        ("tags[]", "type_changed", "breaking"),
        ("odd", "type_changed", "risky"),
        ("size", "nullable", "risky"),
    ]
