"""`contracts diff OLD NEW --as-alterations`: specs that make the replay server answer as NEW.

End to end: diff two recordings, serve the committed cassette with the printed specs on
127.0.0.1, and the served body no longer drifts from NEW (nothing breaking or risky),
while it did drift from OLD.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import Result

from provider_contracts.cli.diff import NOT_REPLAYED
from provider_contracts.contract.body import Body
from provider_contracts.contract.registry import Registry
from provider_contracts.drift.classify import compare
from provider_contracts.drift.findings import worst
from provider_contracts.replay.alterations import parse
from provider_contracts.replay.server import ReplayServer

Run = Callable[..., Result]
CHAT = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}


@pytest.fixture(autouse=True)
def inside(sample: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(sample)
    return sample


def tomorrow(sample: Path) -> dict[str, Any]:
    """acme/chat as tomorrow's provider answers it: five kinds of drift in the completion."""
    doc = json.loads((sample / "cassettes" / "acme" / "chat.json").read_text())
    body = doc["interactions"][0]["response"]["body"]["json"]
    choice = body["choices"][0]
    del choice["finish_reason"]  # removed (required: breaking)
    choice["message"]["role"] = "model"  # a value outside the closed set (breaking)
    choice["message"]["content"] = None  # nullable (the schema allows it: risky)
    body["usage"]["total_tokens"] = "3"  # type changed (breaking)
    body["service_tier"] = "flex"  # added (additive)
    return doc


def served_body(sample: Path, specs: list[str]) -> Any:
    with ReplayServer.at(sample, ["acme"], specs) as server:
        response = httpx.post(server.base_url("acme") + "/chat/completions", json=CHAT)
    assert response.status_code == 200
    return response.json()


def test_the_printed_specs_make_the_server_answer_as_the_new_recording(
    run: Run, sample: Path
) -> None:
    new = tomorrow(sample)
    path = sample / "scratch" / "acme" / "chat.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(new))
    result = run("diff", "cassettes/acme/chat.json", "scratch/acme/chat.json", "--as-alterations")
    assert result.exit_code == 1  # the drift is breaking, as plain `diff` says
    specs = result.stdout.splitlines()
    assert sorted(specs) == [
        'add:choices[].message.role="model"@acme/chat',
        'add:service_tier="flex"@acme/chat',
        "drop:choices[].finish_reason@acme/chat",
        "retype:choices[].message.content=null@acme/chat",
        "retype:usage.total_tokens=string@acme/chat",
    ]
    assert all(parse(spec).scope == "acme/chat" for spec in specs)
    endpoint = Registry.load(sample / "contracts").endpoint("acme/chat")
    old_body = json.loads((sample / "cassettes" / "acme" / "chat.json").read_text())
    old_body = old_body["interactions"][0]["response"]["body"]["json"]
    new_body = new["interactions"][0]["response"]["body"]["json"]
    served = served_body(sample, specs)
    assert worst(compare(old_body, served, endpoint)) == "breaking"  # the drift is replayed
    left = [f for f in compare(new_body, served, endpoint) if f.severity in ("breaking", "risky")]
    assert left == []


def test_a_change_no_alteration_expresses_is_named_on_stderr(run: Run, sample: Path) -> None:
    doc = json.loads((sample / "cassettes" / "acme" / "chat.json").read_text())
    doc["interactions"][0]["response"]["body"] = {"json": {"error": {"code": 500, "message": "x"}}}
    path = sample / "scratch" / "acme" / "chat.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(doc))
    result = run("diff", "cassettes/acme/chat.json", str(path), "--as-alterations")
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        NOT_REPLAYED.format(
            path="(body)",
            what="added",
            transition="absent -> POST /chat/completions 200, an error body",
        )
    ]


def test_the_specs_as_json(run: Run, sample: Path) -> None:
    path = sample / "scratch" / "acme" / "chat.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(tomorrow(sample)))
    result = run(
        "diff", "cassettes/acme/chat.json", str(path), "--as-alterations", "--format", "json"
    )
    doc = json.loads(result.stdout)
    assert "drop:choices[].finish_reason@acme/chat" in doc["alterations"]
    assert doc["not_replayed"] == []


def test_bodies_without_a_contract_give_unscoped_specs(run: Run, sample: Path) -> None:
    (sample / "old.json").write_text('{"a": 1, "b": "x"}')
    (sample / "new.json").write_text('{"a": "1", "c": [1]}')
    result = run("diff", "old.json", "new.json", "--as-alterations")
    assert sorted(result.stdout.splitlines()) == ["add:c=[1]", "drop:b", "retype:a=string"]


def test_a_stream_drift_alters_every_data_event_and_names_the_frame_it_cannot(
    run: Run, sample: Path
) -> None:
    old = (
        'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"delta":{"content":"O"}}]}\n\n'
        "data: [DONE]\n\n"
    )
    new = 'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"delta":{"content":"O"}}],"tier":"x"}\n\n'
    (sample / "old.txt").write_text(old)
    (sample / "new.txt").write_text(new)
    result = run("diff", "old.txt", "new.txt", "--contract", "acme/chat_stream", "--as-alterations")
    assert result.stdout.splitlines() == ['add:tier="x"@acme/chat_stream']
    assert "stream.terminator: stream ([DONE] -> absent)" in result.stderr


def test_a_stream_now_cut_short_is_replayed_by_a_cut(run: Run, sample: Path) -> None:
    doc = json.loads((sample / "cassettes" / "acme" / "chat_stream.json").read_text())
    lines = doc["interactions"][0]["response"]["body"]["sse"]
    first = next(n for n, line in enumerate(lines) if line.startswith("data:"))
    second = next(n for n, line in enumerate(lines) if n > first and line.startswith("data:"))
    cut = lines[: second + 1]
    cut[-1] = cut[-1][:30]  # the second data line ends halfway: no blank line, no [DONE]
    doc["interactions"][0]["response"]["body"]["sse"] = cut
    path = sample / "scratch" / "acme" / "chat_stream.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(doc))
    result = run("diff", "cassettes/acme/chat_stream.json", str(path), "--as-alterations")
    assert "cut:1@acme/chat_stream" in result.stdout.splitlines()
    assert "stream.terminator" not in result.stderr
    with ReplayServer.at(sample, ["acme"], result.stdout.splitlines()) as server:
        served = httpx.post(
            server.base_url("acme") + "/chat/completions", json={**CHAT, "stream": True}
        ).text
    endpoint = Registry.load(sample / "contracts").endpoint("acme/chat_stream")
    new = Body("sse", "\n".join(cut))
    left = [
        f
        for f in compare(new, Body("sse", served), endpoint)
        if f.severity in ("breaking", "risky")
    ]
    assert left == []
