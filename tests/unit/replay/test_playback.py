from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.cassettes.cassette import read
from provider_contracts.errors import CassetteError, InputError, UnmatchedRequest
from provider_contracts.project import project
from provider_contracts.replay.playback import (
    NO_CASSETTE,
    Replayer,
    Selection,
    candidates,
    event_chunks,
    recordings,
)

CHAT = "https://api.acme.test/v1/chat/completions"


def json_body(**fields: object) -> bytes:
    return orjson.dumps(fields)


@given(st.text(alphabet=st.sampled_from(["a", ":", " ", "\n", "\r", "d"]), max_size=60))
def test_event_chunks_join_back_into_the_stream(text: str) -> None:
    assert b"".join(event_chunks(text)) == text.encode()


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        ("data: 1\n\ndata: 2\n\n", [b"data: 1\n\n", b"data: 2\n\n"]),
        (": keep-alive\r\n\r\ndata: 1\r\n\r\n", [b": keep-alive\r\n\r\n", b"data: 1\r\n\r\n"]),
        ("data: 1\n\ndata: cut", [b"data: 1\n\n", b"data: cut"]),
    ],
    ids=["lf", "crlf", "truncated-last-event"],
)
def test_a_stream_is_cut_after_each_event(text: str, chunks: list[bytes]) -> None:
    assert list(event_chunks(text)) == chunks


def test_a_cassette_is_read_once_while_it_is_unchanged(sample: Path) -> None:
    ws = project(sample)
    endpoint = ws.registry.endpoint("acme/chat")
    path = sample / "cassettes/acme/chat.json"
    assert recordings(path, endpoint) is recordings(path, endpoint)


def test_a_changed_cassette_is_read_again(sample: Path) -> None:
    ws = project(sample)
    endpoint = ws.registry.endpoint("acme/chat")
    path = sample / "cassettes/acme/chat.json"
    before = recordings(path, endpoint)
    doc = orjson.loads(path.read_bytes())
    doc["interactions"] = doc["interactions"][:1]
    path.write_bytes(orjson.dumps(doc))
    os.utime(path, ns=(1, 1))
    after = recordings(path, endpoint)
    assert (len(before), len(after)) == (3, 1)


def test_a_recording_replays_the_body_and_headers_but_not_the_stored_encoding(sample: Path) -> None:
    path = sample / "cassettes/acme/chat.json"
    doc = orjson.loads(path.read_bytes())
    doc["interactions"][0]["response"]["headers"]["Content-Encoding"] = ["gzip"]
    doc["interactions"][0]["response"]["headers"]["Content-Length"] = ["3"]
    path.write_bytes(orjson.dumps(doc))
    endpoint = project(sample).registry.endpoint("acme/chat")
    first = recordings(path, endpoint)[0]
    names = [name.lower() for name, _ in first.headers]
    assert "content-encoding" not in names and "content-length" not in names
    assert orjson.loads(first.content) == read(path).interactions[0].response.body.value
    assert first.events is None and first.success


def test_a_streamed_recording_is_kept_event_by_event(sample: Path) -> None:
    endpoint = project(sample).registry.endpoint("acme/chat_stream")
    (recording,) = recordings(sample / "cassettes/acme/chat_stream.json", endpoint)
    assert recording.events is not None
    assert b"".join(recording.events) == recording.content
    assert recording.events[-1] == b"data: [DONE]\n\n"


def test_an_error_under_a_success_status_is_not_a_success(sample: Path) -> None:
    endpoint = project(sample).registry.endpoint("acme/chat")
    found = recordings(sample / "cassettes/acme/chat.json", endpoint)
    assert [r.success for r in found] == [True, False, False]


def test_an_unreadable_cassette_is_one_line_naming_it(sample: Path) -> None:
    endpoint = project(sample).registry.endpoint("acme/chat")
    with pytest.raises(CassetteError, match=r"does-not-exist\.json: cannot read"):
        recordings(sample / "cassettes/acme/does-not-exist.json", endpoint)


def test_an_endpoint_without_a_cassette_says_how_to_record_it(sample: Path) -> None:
    (sample / "cassettes/acme/chat.json").unlink()
    with pytest.raises(CassetteError) as caught:
        candidates(project(sample), [Selection("acme/chat")])
    assert str(caught.value) == NO_CASSETTE.format(
        endpoint="acme/chat",
        path=str(sample.resolve() / "cassettes/acme/chat.json"),
        provider="acme",
        name="chat",
    )


@pytest.mark.parametrize(
    ("wanted", "status"),
    [(1, 200), (-1, 401), ("unauthorized", 401), ("completion", 200)],
    ids=["index", "negative-index", "name", "first-by-name"],
)
def test_an_interaction_is_picked_by_index_or_name(
    sample: Path, wanted: int | str, status: int
) -> None:
    found = candidates(project(sample), [Selection("acme/chat", wanted)])
    assert [c.payload.status for c in found] == [status]


@pytest.mark.parametrize("wanted", [7, "no such"], ids=["index-out-of-range", "unknown-name"])
def test_an_unknown_interaction_lists_the_ones_there_are(sample: Path, wanted: int | str) -> None:
    with pytest.raises(InputError) as caught:
        candidates(project(sample), [Selection("acme/chat", wanted)])
    assert str(caught.value) == (
        f"interaction={wanted!r}: acme/chat has no such interaction; it has "
        "0: 'completion', 1: 'error under 200', 2: 'unauthorized'"
    )


def test_candidates_keep_the_order_the_endpoints_were_named(sample: Path) -> None:
    found = candidates(project(sample), [Selection("acme/chat_stream"), Selection("acme/chat")])
    assert [c.payload.endpoint for c in found] == ["acme/chat_stream"] + ["acme/chat"] * 3


def test_the_replayer_answers_a_request_with_its_recording(sample: Path) -> None:
    replayer = Replayer(candidates(project(sample), [Selection("acme/chat")]))
    found = replayer.answer("POST", CHAT, json_body(model="tiny"), "application/json")
    assert (found.endpoint, found.interaction.name) == ("acme/chat", "completion")
    assert replayer.answered == [found] and replayer.misses == []


def test_the_replayer_refuses_and_keeps_a_request_it_cannot_answer(sample: Path) -> None:
    replayer = Replayer(candidates(project(sample), [Selection("acme/chat")]))
    with pytest.raises(UnmatchedRequest) as caught:
        replayer.answer("GET", CHAT, None, None)
    (miss,) = replayer.misses
    assert str(caught.value) == miss.message
    assert "method: recorded POST, got GET" in miss.message
