from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.contract import sse


def test_data_events_are_split_on_blank_lines() -> None:
    stream = sse.parse('data: {"a": 1}\n\ndata: [DONE]\n\n')
    assert [e.data for e in stream.events] == ['{"a": 1}', "[DONE]"]
    assert not stream.truncated


def test_comment_lines_are_kept_as_events_without_data() -> None:
    stream = sse.parse(": OPENROUTER PROCESSING\n\ndata: x\n\n")
    assert stream.events[0].comments == ("OPENROUTER PROCESSING",)
    assert stream.events[0].data is None
    assert [e.data for e in stream.data_events] == ["x"]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert sse.parse("data: a\ndata: b\n\n").events[0].data == "a\nb"


def test_event_names_and_ids_are_read() -> None:
    event = sse.parse("event: ping\nid: 7\ndata: {}\n\n").events[0]
    assert (event.event, event.id, event.data) == ("ping", "7", "{}")


@pytest.mark.parametrize("ending", ["\r\n", "\r", "\n"], ids=["crlf", "cr", "lf"])
def test_every_line_ending_is_accepted(ending: str) -> None:
    text = f"data: 1{ending}{ending}data: 2{ending}{ending}"
    assert [e.data for e in sse.parse(text).events] == ["1", "2"]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert sse.parse("data:  x\n\ndata:y\n\n").events[0].data == " x"
    assert sse.parse("data:y\n\n").events[0].data == "y"


def test_a_body_ending_inside_an_event_is_truncated() -> None:
    stream = sse.parse('data: {"a": 1}\n\ndata: {"b"')
    assert stream.truncated
    assert [e.data for e in stream.events] == ['{"a": 1}']


def test_trailing_comments_without_a_blank_line_are_not_truncation() -> None:
    stream = sse.parse("data: x\n\n: keep-alive\n")
    assert not stream.truncated
    assert stream.events[-1].comments == ("keep-alive",)


def test_an_empty_body_has_no_events() -> None:
    assert sse.parse("") == sse.Stream(events=(), truncated=False)


def test_unknown_fields_and_retry_are_ignored() -> None:
    assert sse.parse("retry: 10\nfoo: bar\ndata: x\n\n").events[0].data == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data: x", True),
        ("event: a", True),
        (": hi", True),
        ("\ufeffdata: x", True),
        ('{"data": 1}', False),
        ("", False),
    ],
    ids=["data", "event", "comment", "bom", "json", "empty"],
)
def test_looks_like_sse(text: str, expected: bool) -> None:
    assert sse.looks_like_sse(text) is expected


payloads = st.text(alphabet=st.characters(blacklist_characters="\r\n", codec="utf-8"), max_size=40)


@given(
    st.lists(st.tuples(st.sampled_from([None, "message_start", "ping"]), payloads), max_size=12),
    st.sampled_from(["\n", "\r\n"]),
)
def test_any_serialized_stream_parses_back_to_its_events(
    events: list[tuple[str | None, str]], ending: str
) -> None:
    text = "".join(
        (f"event: {name}{ending}" if name else "") + f"data: {data}{ending}{ending}"
        for name, data in events
    )
    stream = sse.parse(text)
    assert not stream.truncated
    assert [(e.event, e.data) for e in stream.events] == events


@given(st.text(max_size=200))
def test_parsing_never_raises_on_any_text(text: str) -> None:
    stream = sse.parse(text)
    assert all(e.index == i for i, e in enumerate(stream.events))


@given(st.text(max_size=300))
def test_split_events_is_lossless(text: str) -> None:
    assert "".join(sse.split_events(text)) == text


def test_split_events_cuts_after_each_blank_line() -> None:
    assert sse.split_events("data: 1\n\ndata: 2\r\n\r\n: tail") == [
        "data: 1\n\n",
        "data: 2\r\n\r\n",
        ": tail",
    ]
