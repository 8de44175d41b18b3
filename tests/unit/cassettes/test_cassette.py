from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from hypothesis import given
from hypothesis import strategies as st

import provider_contracts.cassettes
from provider_contracts.cassettes import cassette as cassettes
from provider_contracts.contract.body import Body
from provider_contracts.errors import CassetteError


def test_a_cassette_reads_into_interactions(sample: Path) -> None:
    cassette = cassettes.read(sample / "cassettes" / "acme" / "chat.json")
    first = cassette.interactions[0]
    assert cassette.provenance["recorded_live"] is False
    assert (first.name, first.label, first.response.status) == ("completion", "#0 completion", 200)
    assert first.response.body.kind == "json"
    assert first.response.content_type == "application/json"
    assert first.request.body.value["model"] == "tiny"


def test_writing_and_reading_back_gives_the_same_cassette(sample: Path, tmp_path: Path) -> None:
    original = cassettes.read(sample / "cassettes" / "acme" / "chat_stream.json")
    copy = cassettes.Cassette(tmp_path / "x.json", original.provenance, original.interactions)
    cassettes.write(copy)
    again = cassettes.read(tmp_path / "x.json")
    assert again.interactions == original.interactions
    assert (tmp_path / "x.json").read_bytes() == (
        sample / "cassettes" / "acme" / "chat_stream.json"
    ).read_bytes()


def test_the_stored_form_is_sorted_two_space_json_with_one_field_per_line(sample: Path) -> None:
    text = (sample / "cassettes" / "acme" / "chat.json").read_text()
    assert text.endswith("}\n") and '\n  "interactions": [' in text
    doc = json.loads(text)
    assert list(doc) == sorted(doc)


@pytest.mark.parametrize(
    ("raw", "content_type", "kind"),
    [
        (b'{"a": 1}', None, "json"),
        (b"data: x\n\n", None, "sse"),
        (b"anything", "text/event-stream; charset=utf-8", "sse"),
        (b"<html>502</html>", "text/html", "text"),
        (b"\xff\xfe\x00", None, "bytes"),
        ("nul\x00inside", None, "bytes"),
        (b"", None, "empty"),
        (None, None, "empty"),
    ],
    ids=["json", "sse-sniffed", "sse-header", "html", "binary", "nul", "empty", "none"],
)
def test_bodies_are_decoded_as_far_as_they_go(
    raw: bytes | str | None, content_type: str | None, kind: str
) -> None:
    assert Body.from_raw(raw, content_type).kind == kind


@given(st.text(max_size=300))
def test_sse_and_text_bodies_round_trip_exactly(text: str) -> None:
    for kind in ("sse", "text"):
        body = Body(kind, text)  # type: ignore[arg-type]
        stored = body.to_stored()
        back = _read_back(stored, "text/event-stream" if kind == "sse" else "text/plain")
        assert back.text == text


def test_binary_bodies_are_stored_as_base64() -> None:
    body = Body("bytes", b"\x00\xff")
    assert body.to_stored() == {"base64": "AP8="}
    assert _read_back(body.to_stored(), None).raw == b"\x00\xff"


def _read_back(stored: dict[str, Any] | None, content_type: str | None) -> Body:
    """A stored response body as reading a cassette gives it back."""
    headers = {"Content-Type": [content_type]} if content_type else {}
    response = {"status": {"code": 200, "message": "OK"}, "headers": headers, "body": stored}
    request = {"method": "GET", "uri": "https://api.acme.test/v1/x", "headers": {}, "body": None}
    doc = {"interactions": [{"request": request, "response": response}]}
    return cassettes.from_dict(doc, Path("x.json")).interactions[0].response.body


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the cassette is empty"),
        ("interactions:\n- request: {}\n", "not a JSON cassette"),
        ('{"version": 1}', "no `interactions` list"),
        ('{"version": 1, "interactions": []}', "has no interactions"),
        ('{"interactions": [{"request": {"method": "GET"}}]}', "interaction #0 is malformed"),
        (
            '{"interactions": [{"request": {"method": "GET", "uri": "u"}, "response": {"status": {"code": "abc"}}}]}',
            "interaction #0 is malformed",
        ),
        (
            '{"interactions": [{"request": {"method": "GET", "uri": "u"}, "response": {"status": {"code": 200}, "body": {"base64": "%%"}}}]}',
            "interaction #0 is malformed",
        ),
        (
            '{"interactions": [{"request": {"method": "GET", "uri": "u"}, "response": {"status": {"code": 200}, "body": {"sse": [1]}}}]}',
            "interaction #0 is malformed",
        ),
    ],
    ids=[
        "empty",
        "yaml",
        "no-interactions-key",
        "no-interactions",
        "no-response",
        "bad-status",
        "bad-base64",
        "bad-sse",
    ],
)
def test_broken_cassettes_are_one_line_errors_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = _write(tmp_path / "broken.json", content)
    with pytest.raises(CassetteError, match=message) as info:
        cassettes.read(path)
    assert "broken.json" in str(info.value) and "\n" not in str(info.value)


def test_a_missing_cassette_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="cannot read"):
        cassettes.read(tmp_path / "nope.json")


def test_cassette_paths_include_a_split_folder_in_name_order(sample: Path) -> None:
    folder = sample / "cassettes" / "acme" / "chat"
    folder.mkdir()
    for name in ("b.json", "a.json"):
        (folder / name).write_text("{}")
    paths = cassettes.cassette_paths(sample / "cassettes", "acme", "chat")
    assert [p.name for p in paths] == ["chat.json", "a.json", "b.json"]


def test_vcrpy_replays_a_cassette_through_the_contracts_serializer(sample: Path) -> None:
    recorder = vcr.VCR(record_mode="none")
    recorder.register_serializer("contracts", provider_contracts.cassettes)  # as README says
    path = sample / "cassettes" / "acme" / "chat.json"
    with recorder.use_cassette(str(path), serializer="contracts", match_on=["method", "uri"]):
        response = httpx.post("https://api.acme.test/v1/chat/completions", json={"model": "tiny"})
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"


def test_vcrpy_records_into_the_contracts_format(tmp_path: Path, sample: Path) -> None:
    loaded = cassettes.deserialize((sample / "cassettes" / "acme" / "chat_stream.json").read_text())
    assert loaded["interactions"][0]["response"]["body"]["string"].startswith(b": PROCESSING")
    stored = json.loads(cassettes.serialize(loaded))
    body = stored["interactions"][0]["response"]["body"]
    assert body["sse"][0] == ": PROCESSING"
    assert stored["interactions"][0]["request"]["body"]["json"]["model"] == "tiny"
