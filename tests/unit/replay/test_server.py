"""The replay server: the committed cassettes answered over HTTP on 127.0.0.1, and altered."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from provider_contracts.cassettes.cassette import read
from provider_contracts.contract import sse
from provider_contracts.replay.alterations import parse
from provider_contracts.replay.server import HOST, INTERACTION_HEADER, ReplayServer
from support.live import make_project, server_for

CONTRACTS = str(Path(sys.executable).with_name("contracts"))
CHAT = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK"}]}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", "openrouter", "stripe")


@pytest.fixture
def server(root: Path) -> Iterator[ReplayServer]:
    with server_for(root, "openrouter", "stripe") as running:
        yield running


@pytest.fixture
def base(server: ReplayServer) -> str:
    return server.base_url("openrouter")


def cassette_json(root: Path, name: str, index: int = 0) -> object:
    return (
        read(root / "cassettes" / "openrouter" / f"{name}.json")
        .interactions[index]
        .response.body.value
    )


# --- what is served, and where ------------------------------------------------------------


def test_listens_on_loopback_only(server: ReplayServer) -> None:
    assert server.url.startswith(f"http://{HOST}:")
    assert HOST == "127.0.0.1"


def test_chat_completion_is_served_under_the_providers_real_path(
    root: Path, server: ReplayServer
) -> None:
    response = httpx.post(server.url + "/api/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert response.json() == cassette_json(root, "chat_completions")


def test_each_provider_is_also_served_under_its_own_name(root: Path, server: ReplayServer) -> None:
    response = httpx.post(server.url + "/openrouter/api/v1/chat/completions", json=CHAT)
    assert response.json() == cassette_json(root, "chat_completions")


def test_stream_true_selects_the_streamed_endpoint(base: str) -> None:
    response = httpx.post(base + "/chat/completions", json={**CHAT, "stream": True})
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    assert sse.parse(response.text).data_events[-1].data == "[DONE]"


def test_a_stream_is_sent_event_by_event(root: Path) -> None:
    with server_for(root, "openrouter", alter=("slow:0.02",)) as server:
        url = server.base_url("openrouter") + "/chat/completions"
        with httpx.stream("POST", url, json={**CHAT, "stream": True}) as response:
            chunks = [chunk for chunk in response.iter_raw() if chunk]
    events = [e for e in sse.parse(b"".join(chunks).decode()).events]
    assert len(chunks) == len(events) > 1


def test_the_interaction_recorded_with_the_same_query_is_answered(root: Path, base: str) -> None:
    response = httpx.get(base + "/models", params={"offset": 0, "limit": 500})
    assert response.json() == cassette_json(root, "models", index=1)


def test_a_request_unlike_any_recorded_gets_the_first_success(root: Path, base: str) -> None:
    response = httpx.post(base + "/chat/completions", json={"model": "other", "messages": []})
    assert response.json() == cassette_json(root, "chat_completions", index=0)


def test_the_interaction_header_picks_an_interaction_by_index(base: str) -> None:
    response = httpx.get(base + "/credits", headers={INTERACTION_HEADER: "2"})
    assert response.status_code == 401


def test_a_path_parameter_matches_any_id(server: ReplayServer) -> None:
    url = server.base_url("stripe") + "/checkout/sessions/cs_test_anything"
    assert httpx.get(url).json()["object"] == "checkout.session"


def test_an_unknown_path_is_a_404_naming_what_is_served(server: ReplayServer) -> None:
    response = httpx.get(server.url + "/v2/nothing")
    assert response.status_code == 404
    assert "GET /api/v1/models" in response.json()["error"]["message"]


def test_each_request_is_logged_on_one_line_without_query_values(root: Path) -> None:
    lines: list[str] = []
    registry_server = server_for(root, "openrouter")
    registry_server.log = lines.append
    with registry_server as server:
        httpx.get(server.base_url("openrouter") + "/generation", params={"id": "gen-secret"})
    assert lines == ["GET /api/v1/generation -> openrouter/generation#0 200"]


# --- alterations ---------------------------------------------------------------------------


def altered(server: ReplayServer, *specs: str) -> None:
    server.alterations = [parse(spec) for spec in specs]


def test_drop_removes_a_field(server: ReplayServer, base: str) -> None:
    altered(server, "drop:choices[].finish_reason")
    choice = httpx.post(base + "/chat/completions", json=CHAT).json()["choices"][0]
    assert "finish_reason" not in choice
    assert "message" in choice


def test_retype_changes_a_fields_type(server: ReplayServer, base: str) -> None:
    altered(server, "retype:usage.total_tokens")
    assert isinstance(
        httpx.post(base + "/chat/completions", json=CHAT).json()["usage"]["total_tokens"], str
    )


def test_add_puts_a_new_field(server: ReplayServer, base: str) -> None:
    altered(server, 'add:choices[].message.refusal="no"')
    body = httpx.post(base + "/chat/completions", json=CHAT).json()
    assert body["choices"][0]["message"]["refusal"] == "no"


def test_body_alterations_apply_to_every_stream_event(server: ReplayServer, base: str) -> None:
    altered(server, "drop:object")
    text = httpx.post(base + "/chat/completions", json={**CHAT, "stream": True}).text
    chunks = [orjson.loads(e.data) for e in sse.parse(text).data_events if e.data != "[DONE]"]
    assert chunks
    assert all("object" not in chunk for chunk in chunks)


def test_status_429_carries_retry_after(server: ReplayServer, base: str) -> None:
    altered(server, "status:429:3")
    response = httpx.post(base + "/chat/completions", json=CHAT)
    assert (response.status_code, response.headers["retry-after"]) == (429, "3")


def test_times_answers_n_failures_then_succeeds(server: ReplayServer, base: str) -> None:
    altered(server, "status:500*2")
    statuses = [httpx.get(base + "/models").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_an_alteration_for_one_endpoint_leaves_the_others(server: ReplayServer, base: str) -> None:
    altered(server, "status:503@openrouter/models")
    assert httpx.get(base + "/models").status_code == 503
    assert httpx.get(base + "/key").status_code == 200


def test_hang_never_answers_until_the_client_gives_up(server: ReplayServer, base: str) -> None:
    altered(server, "hang")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(base + "/models", timeout=0.2)
    assert time.monotonic() - started < 2


def test_stopping_releases_a_hung_connection(root: Path) -> None:
    server = server_for(root, "openrouter", alter=("hang",))
    url = server.start() + "/api/v1/models"
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(url, timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.1)
    server.stop()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert errors


def test_reset_resets_the_connection(server: ReplayServer, base: str) -> None:
    altered(server, "reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(base + "/models")


def test_cut_ends_a_stream_inside_an_event(server: ReplayServer, base: str) -> None:
    altered(server, "cut:1")
    text = httpx.post(base + "/chat/completions", json={**CHAT, "stream": True}).text
    stream = sse.parse(text)
    assert stream.truncated
    assert len(stream.data_events) == 1


def test_echo_sends_a_request_header_back(server: ReplayServer, base: str) -> None:
    altered(server, "echo:Authorization")
    response = httpx.get(base + "/key", headers={"Authorization": "Bearer k"})
    assert response.headers["x-echo-authorization"] == "Bearer k"
    assert response.json()["echo"] == {"Authorization": "Bearer k"}


def test_the_log_names_the_alterations_that_fired(root: Path) -> None:
    lines: list[str] = []
    server = server_for(root, "openrouter", alter=("status:429*1",))
    server.log = lines.append
    with server:
        for _ in range(2):
            httpx.get(server.base_url("openrouter") + "/key")
    assert lines == [
        "GET /api/v1/key -> openrouter/key#None 429 (altered: status:429*1)",
        "GET /api/v1/key -> openrouter/key#0 200",
    ]


# --- the command ---------------------------------------------------------------------------


def test_serve_prints_its_url_answers_and_stops_on_ctrl_c(root: Path) -> None:
    process = subprocess.Popen(
        [CONTRACTS, "--root", str(root), "serve", "openrouter"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("serving openrouter on http://127.0.0.1:")
        url = first.split(" on ")[1].split()[0]
        assert httpx.get(url + "/api/v1/key").status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert "GET /api/v1/key -> openrouter/key#0 200" in out
    assert process.returncode == 0
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--alter", "explode"], "--alter 'explode': unknown action 'explode'"),
        (["--alter", "status:200"], "status needs an error code from 400 to 599"),
        (["nobody"], "unknown provider 'nobody'"),
    ],
    ids=["unknown-action", "success-status", "unknown-provider"],
)
def test_serve_refuses_bad_input_in_one_line(run, args: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    result = run("serve", *args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_on_a_taken_port_says_so(run) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "acme", "--port", str(port))
    assert result.exit_code == 2
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_recorded_error_is_served_only_when_asked_for(root: Path, base: str) -> None:
    recorded = read(root / "cassettes" / "openrouter" / "chat_completions.json").interactions
    probe_like = next(i for i in recorded if "error" in i.response.body.value)
    body = probe_like.request.body.value
    assert "choices" in httpx.post(base + "/chat/completions", json=body).json()
    asked = {INTERACTION_HEADER: str(probe_like.index)}
    assert "error" in httpx.post(base + "/chat/completions", json=body, headers=asked).json()


def test_a_project_server_serves_every_provider_unless_told(root: Path) -> None:
    with ReplayServer.at(root) as server:
        assert [p.name for p in server.providers] == ["openrouter", "stripe"]
        assert httpx.get(server.base_url("stripe") + "/events").json()["object"] == "list"


def test_alterations_may_be_given_as_specs(root: Path) -> None:
    with ReplayServer.at(root, ["openrouter"], ["status:418*1"]) as server:
        assert httpx.get(server.base_url("openrouter") + "/key").status_code == 418


def test_an_unknown_interaction_index_is_refused_naming_those_that_exist(base: str) -> None:
    response = httpx.get(base + "/credits", headers={INTERACTION_HEADER: "99"})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "\n" not in message
    assert message.startswith("interaction=99: openrouter/credits has no such interaction")
    assert "0" in message.partition("it has")[2]


def test_an_interaction_may_be_asked_for_by_name(root: Path, base: str) -> None:
    recorded = read(root / "cassettes" / "openrouter" / "credits.json").interactions
    named = next(i for i in recorded if i.name)
    response = httpx.get(base + "/credits", headers={INTERACTION_HEADER: named.name})
    assert response.status_code == named.response.status


def test_a_stream_asked_of_an_endpoint_that_does_not_stream_is_answered_anyway(
    server: ReplayServer,
) -> None:
    url = server.base_url("stripe") + "/events"
    response = httpx.request("GET", url, json={"stream": True})
    assert response.status_code == 200


def test_the_request_log_is_a_ring_of_the_last_requests(root: Path) -> None:
    with ReplayServer.at(root, ["openrouter"], history=2) as server:
        for path in ("/key", "/credits", "/models"):
            httpx.get(server.base_url("openrouter") + path)
        assert [e.path for e in server.exchanges] == ["/api/v1/credits", "/api/v1/models"]


def test_a_burst_of_connections_waits_in_the_backlog_instead_of_being_dropped(
    root: Path,
) -> None:
    server = ReplayServer.at(root, ["openrouter"])
    url = server.bind()  # listening, not yet accepting: every connection waits in the backlog
    port = int(url.rsplit(":", 1)[1])
    opened: list[socket.socket] = []
    try:
        for _ in range(100):
            opened.append(socket.create_connection((HOST, port), timeout=2))
    finally:
        for sock in opened:
            sock.close()
        server.stop()
    assert len(opened) == 100


# --- a request the server will not read -------------------------------------------------------


def raw_request(server: ReplayServer, head: str) -> tuple[int, dict[str, object]]:
    """Send a request head by hand (httpx writes a true Content-Length) and read the answer."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # the server closes after a refusal
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), orjson.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    ("length", "status", "expected"),
    [
        ("abc", 400, "Content-Length 'abc' is not a number of bytes"),
        ("-5", 400, "Content-Length '-5' is not a number of bytes"),
        ("1e3", 400, "Content-Length '1e3' is not a number of bytes"),
        ("99999999999", 413, "a request body of 99999999999 bytes is over"),
    ],
    ids=["letters", "negative", "exponent", "huge"],
)
def test_a_bad_content_length_is_refused_in_one_json_line(
    server: ReplayServer, capfd: pytest.CaptureFixture[str], length: str, status: int, expected: str
) -> None:
    head = (
        f"POST /openrouter/api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {length}"
    )
    answered, body = raw_request(server, head)
    assert answered == status
    message = body["error"]["message"]  # type: ignore[index]
    assert message.startswith(expected) and "\n" not in message
    assert "Traceback" not in capfd.readouterr().err
    assert server.exchanges[-1].status == status


def test_the_server_answers_on_after_refusing_a_content_length(server: ReplayServer) -> None:
    raw_request(server, "POST /openrouter/api/v1/key HTTP/1.1\r\nHost: x\r\nContent-Length: -1")
    assert httpx.get(server.base_url("openrouter") + "/key").status_code == 200
