from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest
import yaml

from provider_contracts.cassettes.cassette import read
from provider_contracts.cassettes.scrub import REDACTED
from provider_contracts.errors import ContractError, MissingCredential, UnmatchedRequest
from provider_contracts.live.forward import (
    BAD_BASE_URL,
    SCRATCH_SOURCE,
    Forwarder,
    Scratch,
    base_url_for,
)
from provider_contracts.project import project
from support.leaks import leaks

ACME = "https://api.acme.test/v1"
KEY = "sk-acme-0123456789"
COMPLETION = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "OK"}}],
    "usage": {"total_tokens": 3},
}


def forwarder(root: Path, scratch: Path | None = None, **environ: str) -> Forwarder:
    env = {"ACME_API_KEY": KEY, **environ}
    return Forwarder(
        project(root),
        ["acme/chat", "acme/chat_stream"],
        env,
        Scratch(scratch) if scratch else None,
        "tests/test_x.py::test_y",
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ACME),
        ({"CONTRACTS_BASE_URL_ACME": "http://127.0.0.1:9/v1/"}, "http://127.0.0.1:9/v1"),
    ],
    ids=["manifest", "override"],
)
def test_the_base_url_is_the_manifest_one_unless_overridden(
    sample: Path, environ: dict[str, str], expected: str
) -> None:
    assert base_url_for(project(sample).registry.provider("acme"), environ) == expected


def test_an_override_that_is_not_a_url_names_the_variable(sample: Path) -> None:
    provider = project(sample).registry.provider("acme")
    with pytest.raises(ContractError) as caught:
        base_url_for(provider, {"CONTRACTS_BASE_URL_ACME": "localhost:8080"})
    assert str(caught.value) == BAD_BASE_URL.format(
        var="CONTRACTS_BASE_URL_ACME", value="localhost:8080", path="/v1"
    )


def test_a_missing_key_names_its_variable(sample: Path) -> None:
    with pytest.raises(MissingCredential) as caught:
        Forwarder(project(sample), ["acme/chat"], {}).credentials()
    assert caught.value.var == "ACME_API_KEY"


def test_prepare_routes_rewrites_the_url_and_puts_the_key_in_the_auth_header(sample: Path) -> None:
    chosen = forwarder(sample, CONTRACTS_BASE_URL_ACME="http://127.0.0.1:9/v1")
    outgoing = chosen.prepare(
        "POST",
        "http://anywhere.test/v1/chat/completions?x=1",
        b'{"stream": true}',
        [
            ("Host", "anywhere.test"),
            ("Authorization", "Bearer placeholder"),
            ("Content-Type", "application/json"),
        ],
    )
    assert outgoing.endpoint.id == "acme/chat_stream"
    assert outgoing.url == "http://127.0.0.1:9/v1/chat/completions?x=1"
    assert outgoing.headers == (
        ("Content-Type", "application/json"),
        ("Authorization", f"Bearer {KEY}"),
    )


def test_prepare_refuses_a_request_no_endpoint_answers(sample: Path) -> None:
    chosen = forwarder(sample)
    with pytest.raises(
        UnmatchedRequest, match="path: recorded /v1/chat/completions, got /v1/embeddings"
    ):
        chosen.prepare("POST", f"{ACME}/embeddings", b"{}", [])
    assert len(chosen.misses) == 1


def test_a_good_answer_is_handed_back_unbroken(sample: Path) -> None:
    chosen = forwarder(sample)
    outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
    recording = chosen.received(
        outgoing,
        200,
        "OK",
        [("Content-Type", "application/json"), ("X-Request-Id", "r")],
        orjson.dumps(COMPLETION),
    )
    assert chosen.broken == [] and recording.success
    assert orjson.loads(recording.content) == COMPLETION


def test_a_broken_answer_is_kept_with_its_report(sample: Path) -> None:
    chosen = forwarder(sample)
    outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
    chosen.received(
        outgoing,
        200,
        "OK",
        [("Content-Type", "application/json"), ("X-Request-Id", "r")],
        b'{"id": 1}',
    )
    (broken,) = chosen.broken
    first = broken.message.splitlines()[0]
    assert first.startswith(
        f"acme/chat: the live answer to POST {ACME}/chat/completions (status 200)"
    )
    assert "response at /id" in broken.message


def test_answers_are_written_to_the_scratch_folder_one_cassette_per_endpoint(
    sample: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    chosen = forwarder(sample, scratch)
    for _ in range(2):
        outgoing = chosen.prepare(
            "POST",
            f"{ACME}/chat/completions",
            b'{"model": "tiny"}',
            [("Content-Type", "application/json")],
        )
        chosen.received(
            outgoing, 200, "OK", [("Content-Type", "application/json")], orjson.dumps(COMPLETION)
        )
    cassette = read(scratch / "acme/chat.json")
    assert [i.index for i in cassette.interactions] == [0, 1]
    assert cassette.provenance["recorded_live"] is True
    assert cassette.provenance["source"] == SCRATCH_SOURCE
    assert "recorded_from" not in cassette.provenance
    assert cassette.interactions[0].name == "tests/test_x.py::test_y"
    assert cassette.interactions[0].response.body.value == COMPLETION
    assert cassette.interactions[0].request.body.value == {"model": "tiny"}


def test_answers_from_a_stand_in_base_url_are_not_called_live(sample: Path, tmp_path: Path) -> None:
    stand_in = "http://127.0.0.1:9/v1"
    chosen = forwarder(sample, tmp_path / "scratch", CONTRACTS_BASE_URL_ACME=stand_in)
    outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
    assert outgoing.url.startswith(stand_in)
    chosen.received(
        outgoing, 200, "OK", [("Content-Type", "application/json")], orjson.dumps(COMPLETION)
    )
    provenance = read(tmp_path / "scratch/acme/chat.json").provenance
    assert provenance["recorded_live"] is False
    assert provenance["recorded_from"] == stand_in  # as record writes it: the base URL called


def test_no_secret_reaches_a_scratch_cassette(sample: Path, tmp_path: Path) -> None:
    manifest = sample / "contracts/acme/provider.yaml"
    doc = yaml.safe_load(manifest.read_text())
    doc["redact"] = {"headers": ["Authorization", "Set-Cookie"], "body_fields": ["client_secret"]}
    manifest.write_text(yaml.safe_dump(doc))
    chosen = forwarder(sample, tmp_path / "scratch")
    outgoing = chosen.prepare(
        "POST",
        f"{ACME}/chat/completions",
        b"{}",
        [
            ("Content-Type", "application/json"),
            ("Cookie", "session=abc"),
            ("Acme-Version", "2024-01"),
        ],
    )
    echoed = {**COMPLETION, "client_secret": "cs_secret_value", "echo": f"your key is {KEY}"}
    chosen.received(
        outgoing,
        200,
        "OK",
        [("Content-Type", "application/json"), ("Set-Cookie", "s=1"), ("X-Request-Id", "r")],
        orjson.dumps(echoed),
    )
    text = (tmp_path / "scratch/acme/chat.json").read_text()
    for secret in (KEY, "cs_secret_value", "session=abc", "s=1"):
        assert secret not in text
    interaction = read(tmp_path / "scratch/acme/chat.json").interactions[0]
    assert interaction.response.body.value["client_secret"] == REDACTED
    assert set(interaction.request.headers) == {"Content-Type", "Acme-Version"}
    assert set(interaction.response.headers) == {"Content-Type", "X-Request-Id"}


# The key as a live provider might echo it: every form record masks, live forwarding masks.
LONG_KEY = "sk-acme-" + "7c1e94b2a05fd38e6b7a2c91d04e5f83"
ECHOES = {
    "raw": LONG_KEY,
    "percent-encoded": "".join(f"%{ord(c):02X}" for c in LONG_KEY),
    "base64": base64.b64encode(b"key=" + LONG_KEY.encode()).decode(),
    "\\u-escaped": "".join(f"\\u{ord(c):04x}" for c in LONG_KEY),
}


@pytest.mark.parametrize("form", ECHOES, ids=list(ECHOES))
def test_live_forwarding_masks_the_key_in_every_form_in_scratch_and_report(
    sample: Path, tmp_path: Path, form: str
) -> None:
    chosen = forwarder(sample, tmp_path / "scratch", ACME_API_KEY=LONG_KEY)
    outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
    broken = {"id": 1, "echo": ECHOES[form], "choices": ECHOES[form]}  # `choices`: an array
    chosen.received(
        outgoing, 200, "OK", [("Content-Type", "application/json")], orjson.dumps(broken)
    )
    written = (tmp_path / "scratch/acme/chat.json").read_text()
    assert leaks(written, LONG_KEY) == []
    (report,) = chosen.broken
    assert leaks(report.message, LONG_KEY) == []
    assert REDACTED in report.message


def test_live_forwarding_masks_a_binary_answer_holding_the_key(
    sample: Path, tmp_path: Path
) -> None:
    chosen = forwarder(sample, tmp_path / "scratch", ACME_API_KEY=LONG_KEY)
    outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
    body = b"\x89PNG\x00\xff" + LONG_KEY.encode() + b"\x00"
    chosen.received(outgoing, 200, "OK", [("Content-Type", "application/octet-stream")], body)
    assert leaks((tmp_path / "scratch/acme/chat.json").read_bytes(), LONG_KEY) == []
    (report,) = chosen.broken
    assert leaks(report.message, LONG_KEY) == []


def test_a_consumers_cassettes_are_added_to_and_keep_their_recording_date(
    sample: Path, tmp_path: Path
) -> None:
    def session(answer: bytes) -> Forwarder:
        chosen = Forwarder(
            project(sample),
            ["acme/chat"],
            {"ACME_API_KEY": KEY},
            Scratch(tmp_path / "mine", "pytest --contracts-record-mode=new", consumer=True),
        )
        outgoing = chosen.prepare("POST", f"{ACME}/chat/completions", b"{}", [])
        headers = [("Content-Type", "application/json"), ("X-Request-Id", "r")]
        chosen.received(outgoing, 200, "OK", headers, answer)
        return chosen

    session(orjson.dumps(COMPLETION))
    first = read(tmp_path / "mine/acme/chat.json")
    session(orjson.dumps({**COMPLETION, "id": "cmpl-2"}))
    assert session(b'{"id": 1}').broken  # broken: reported, and not kept to be replayed
    later = read(tmp_path / "mine/acme/chat.json")
    assert [i.response.body.value["id"] for i in later.interactions] == ["cmpl-1", "cmpl-2"]  # type: ignore[index]
    assert [i.index for i in later.interactions] == [0, 1]
    assert later.provenance == first.provenance
    assert later.interactions[0].source == "pytest --contracts-record-mode=new"
