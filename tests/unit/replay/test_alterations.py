"""Alterations: the `--alter` language and what each one does to a body."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.errors import InputError
from provider_contracts.replay.alterations import ALTER_HELP, Alteration, Counter, alter_body, parse

BODY = {
    "id": "c1",
    "choices": [
        {"message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"},
        {"message": {"role": "assistant", "content": None}, "finish_reason": "length"},
    ],
    "usage": {"total_tokens": 3},
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("drop:choices[].finish_reason", Alteration("drop", ("choices", None, "finish_reason"))),
        ("retype:usage.total_tokens", Alteration("retype", ("usage", "total_tokens"))),
        ("retype:id=integer", Alteration("retype", ("id",), "integer")),
        ('add:choices[0].refusal="no"', Alteration("add", ("choices", 0, "refusal"), "no")),
        ("status:429", Alteration("status", value=429, seconds=1.0)),
        ("status:503:2.5", Alteration("status", value=503, seconds=2.5)),
        ("status:500", Alteration("status", value=500)),
        ("hang", Alteration("hang")),
        ("reset*2", Alteration("reset", times=2)),
        ("cut", Alteration("cut", events=1)),
        (
            "cut:3@openrouter/chat_completions_stream",
            Alteration("cut", events=3, scope="openrouter/chat_completions_stream"),
        ),
        ("slow:0.1@stripe*1", Alteration("slow", seconds=0.1, scope="stripe", times=1)),
        (
            "status:429:2*1@openrouter/models",
            Alteration("status", value=429, seconds=2.0, scope="openrouter/models", times=1),
        ),
        ("echo:Authorization", Alteration("echo", header="Authorization")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_specs_are_read(spec: str, expected: Alteration) -> None:
    parsed = parse(spec)
    assert parsed == Alteration(**{**_fields(expected), "spec": spec})


def _fields(alteration: Alteration) -> dict[str, Any]:
    return {name: getattr(alteration, name) for name in Alteration.__slots__}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("explode", "unknown action 'explode'"),
        ("drop:", "cannot read the path ''"),
        ("drop:a..b", "cannot read the path 'a..b'"),
        ("drop:a=1", "drop takes a path only"),
        ("add:a", "add needs a value"),
        ("add:a=nope", "the value 'nope' is not JSON"),
        ("retype:a=float", "unknown type 'float'"),
        ("status:200", "status needs an error code from 400 to 599"),
        ("status:429:soon", "'soon' is not a number of seconds"),
        ("hang:5", "hang takes no argument"),
        ("cut:x", "cut takes a number of whole events"),
        ("slow", "slow needs seconds"),
        ("echo", "echo needs a header name"),
        ("reset*0", "*TIMES must be at least 1"),
        ("status:429:2*-3", "*TIMES is a whole number, at least 1, given once"),
        ("reset*2*3", "*TIMES is a whole number, at least 1, given once"),
        ("drop:usage@openrouter/models@x", "two targets, @openrouter/models and @x; give one"),
    ],
    ids=lambda value: value,
)
def test_bad_specs_say_what_is_wrong_and_how_to_write_one(spec: str, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        parse(spec)
    message = str(raised.value)
    assert message.startswith(f"--alter {spec!r}: {problem}")
    assert message.endswith(f"; write one of {ALTER_HELP}")
    assert "\n" not in message


def test_drop_removes_the_field_from_every_element() -> None:
    altered = alter_body(BODY, [parse("drop:choices[].finish_reason")], {})
    assert [sorted(c) for c in altered["choices"]] == [["message"], ["message"]]


def test_retype_by_default_picks_a_type_a_consumer_would_trip_on() -> None:
    altered = alter_body(BODY, [parse("retype:usage.total_tokens"), parse("retype:id")], {})
    assert (altered["usage"]["total_tokens"], altered["id"]) == ("3", 2)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("string", "OK"),
        ("integer", 2),
        ("number", 2),
        ("boolean", True),
        ("null", None),
        ("object", {"value": "OK"}),
        ("array", ["OK"]),
    ],
    ids=lambda value: str(value),
)
def test_retype_to_a_named_type(target: str, expected: Any) -> None:
    altered = alter_body(BODY, [parse(f"retype:choices[0].message.content={target}")], {})
    assert altered["choices"][0]["message"]["content"] == expected


def test_add_sets_a_field_in_one_element() -> None:
    altered = alter_body(BODY, [parse("add:choices[1].message.refusal=null")], {})
    assert "refusal" not in altered["choices"][0]["message"]
    assert altered["choices"][1]["message"]["refusal"] is None


def test_a_path_that_is_not_there_changes_nothing() -> None:
    assert alter_body(BODY, [parse("drop:nothing.here"), parse("retype:choices[5].x")], {}) == BODY


def test_echo_puts_the_request_header_in_the_body() -> None:
    altered = alter_body({"ok": True}, [parse("echo:Authorization")], {"authorization": "Bearer k"})
    assert altered["echo"] == {"Authorization": "Bearer k"}


def test_times_limits_an_alteration_to_the_first_requests() -> None:
    counter = Counter()
    alterations = [parse("status:500*2")]
    fired = [len(counter.take(alterations, "openrouter/models")) for _ in range(3)]
    assert fired == [1, 1, 0]


def test_a_replacing_fault_fires_alone_and_spares_the_others_count() -> None:
    counter = Counter()
    alterations = [parse("status:429*1"), parse("drop:id*1")]
    assert [str(a) for a in counter.take(alterations, "p/e")] == ["status:429*1"]
    assert [str(a) for a in counter.take(alterations, "p/e")] == ["drop:id*1"]


def test_a_scoped_alteration_fires_only_for_its_endpoints() -> None:
    alteration = parse("hang@openrouter")
    assert alteration.applies_to("openrouter/models")
    assert not alteration.applies_to("openrouterx/models")
    assert not alteration.applies_to("stripe/events_list")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "id"]), children, max_size=3)
    ),
    max_leaves=12,
)


@given(JSON, st.sampled_from(["drop:a", "retype:a.b", "add:b[].a=1", "drop:a[].id", "retype:id"]))
def test_altering_never_changes_the_original(value: Any, spec: str) -> None:
    before = repr(value)
    alter_body(value, [parse(spec)], {})
    assert repr(value) == before


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), JSON, max_size=3))
def test_after_drop_the_field_is_gone(value: dict[str, Any]) -> None:
    assert "a" not in alter_body(value, [parse("drop:a")], {})
