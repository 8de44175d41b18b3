"""A provider that echoes the key, in any encoding: the key reaches no cassette, no stdout
and no report, through `contracts record` and `contracts verify --live` against the
replay server on 127.0.0.1 (whose cassettes are rewritten to answer with the key)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from provider_contracts.cli import cli
from provider_contracts.replay.server import ReplayServer
from support.leaks import encodings, leaks
from support.live import REPO, make_project, point_at, server_for, snapshot

# Not repetitive, so that any 16 characters of it in a row can only come from the key.
KEY = "sk-or-v1-" + "9f3c2a7be41d6085c7e9a1f04b2d8e6359ac17f2d40be8c6a5913f7e2b0d4c68"
FAST = ("--retries", "0", "--backoff", "0.01", "--timeout", "2", "--deadline", "5")
REPORTS = ("json", "junit", "markdown", "text")


def answer_with(provider_side: Path, endpoint: str, body: dict[str, object], kind: str) -> None:
    """Every recorded answer of `openrouter/ENDPOINT` replaced by `body` (a stored body)."""
    path = provider_side / "cassettes" / "openrouter" / f"{endpoint}.json"
    doc = orjson.loads(path.read_bytes())
    for item in doc["interactions"]:
        item["response"]["body"] = body
        item["response"]["headers"] = {"Content-Type": [kind]}
        item["response"]["status"] = {"code": 200, "message": "OK"}
    path.write_bytes(orjson.dumps(doc))


def _label(value: str) -> dict[str, object]:
    data = orjson.loads((Path(__file__).parents[3] / "cassettes/openrouter/key.json").read_bytes())
    body = data["interactions"][0]["response"]["body"]["json"]
    body["data"]["label"] = value
    return {"json": body}


def _sse(*contents: str, raw: str | None = None) -> dict[str, object]:
    lines = []
    for content in contents:
        chunk = {
            "id": "gen-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "openai/gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        }
        lines += ["data: " + orjson.dumps(chunk).decode(), ""]
    if raw is not None:
        lines += [raw, ""]
    lines += ["data: [DONE]", "", ""]
    return {"sse": lines}


_ESCAPED = "".join(f"\\u{ord(c):04x}" for c in KEY)
# (endpoint, stored body, content type) per form of the echoed key.
FORMS: dict[str, tuple[str, dict[str, object], str]] = {
    **{
        f"{name} in a JSON string": ("key", _label(value), "application/json")
        for name, value in encodings(KEY, b"label ", b" end").items()
    },
    "binary body": (
        "key",
        {"base64": base64.b64encode(b"\x89PNG\x00\xff" + KEY.encode() + b"\x00").decode()},
        "application/octet-stream",
    ),
    "base64 in a binary body": (
        "key",
        {"base64": base64.b64encode(b"\xff\x00" + base64.b64encode(KEY.encode())).decode()},
        "application/octet-stream",
    ),
    "\\u-escaped in an SSE data line": (
        "chat_completions_stream",
        _sse(
            "Hi",
            raw='data: {"id":"gen-1","object":"chat.completion.chunk","created":1,'
            '"model":"m","choices":[{"index":0,"delta":{"content":"' + _ESCAPED + '"},'
            '"finish_reason":null}]}',
        ),
        "text/event-stream",
    ),
    "split across stream deltas": (
        "chat_completions_stream",
        _sse("Your key is ", KEY[:5], KEY[5:30], KEY[30:], " as asked."),
        "text/event-stream",
    ),
    "base64 split across stream deltas": (
        "chat_completions_stream",
        _sse(
            "b64: ",
            base64.b64encode(KEY.encode()).decode()[:17],
            base64.b64encode(KEY.encode()).decode()[17:],
        ),
        "text/event-stream",
    ),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", "openrouter")


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def provider_side(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The provider's cassettes, answering with the key in the test's form (if any)."""
    side = make_project(tmp_path / "provider", "openrouter")
    if "form" in request.fixturenames:
        endpoint, body, kind = FORMS[request.getfixturevalue("form")]
        answer_with(side, endpoint, body, kind)
    return side


@pytest.fixture
def server(provider_side: Path) -> Iterator[ReplayServer]:
    with server_for(provider_side, "openrouter") as running:
        yield running


def run(root: Path, server: ReplayServer, *args: str, key: str = KEY) -> Result:
    point_at(root, server, "openrouter")  # the server is the provider: these calls are live
    return CliRunner().invoke(
        cli,
        ["--root", str(root), *args, *FAST],
        env={"OPENROUTER_API_KEY": key},
        prog_name="contracts",
    )


def everything_written(folder: Path) -> dict[str, bytes]:
    return snapshot(folder)


def test_record_writes_and_prints_no_form_of_an_echoed_key(
    form: str, root: Path, server: ReplayServer
) -> None:
    endpoint = FORMS[form][0]
    result = run(root, server, "record", "openrouter", "--endpoint", endpoint)
    assert result.exit_code in (0, 1), result.output
    assert leaks(result.stdout + result.stderr, KEY) == []
    written = root / "cassettes" / "openrouter" / f"{endpoint}.json"
    assert "wrote" in result.stdout
    for path, data in everything_written(root).items():
        assert leaks(data, KEY) == [], path
    assert KEY.encode() not in written.read_bytes()


def test_verify_live_writes_and_prints_no_form_of_an_echoed_key(
    form: str, root: Path, server: ReplayServer, tmp_path: Path
) -> None:
    endpoint = FORMS[form][0]
    reports = [f"{fmt}:{tmp_path / 'reports' / fmt}" for fmt in REPORTS]
    args = [arg for report in reports for arg in ("--report", report)]
    result = run(root, server, "verify", f"openrouter/{endpoint}", "--live", *args)
    assert result.exit_code in (0, 1), result.output
    assert leaks(result.stdout + result.stderr, KEY) == []
    for fmt in REPORTS:
        assert leaks((tmp_path / "reports" / fmt).read_bytes(), KEY) == [], fmt
    for path, data in everything_written(root).items():
        assert leaks(data, KEY) == [], path


@pytest.mark.parametrize("form", ["binary body"])
def test_a_binary_answer_holding_the_key_is_reported_with_the_key_masked(
    form: str, root: Path, server: ReplayServer
) -> None:
    result = run(root, server, "verify", "openrouter/key", "--live")
    assert result.exit_code == 1, result.output
    assert "<REDACTED>" in result.stdout  # the excerpt is shown, the key in it is not


@pytest.mark.parametrize(
    "key",
    [
        KEY[:20] + "\n" + KEY[20:],
        KEY[:20] + "\x1b" + KEY[20:],
        KEY[:20] + "é" + KEY[20:],
        KEY[:20] + "\r" + KEY[20:],
        KEY[:20] + "\x7f" + KEY[20:],
    ],
    ids=["newline", "escape", "non-ascii", "carriage return", "delete"],
)
def test_a_key_that_is_no_header_value_is_refused_before_any_call(
    key: str, root: Path, server: ReplayServer
) -> None:
    point_at(root, server, "openrouter")
    before = snapshot(root)
    for args in (("record", "openrouter"), ("verify", "openrouter", "--live")):
        result = run(root, server, *args, key=key)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert "OPENROUTER_API_KEY" in line
        for piece in (key[:20], key[21:]):
            assert piece not in result.output
    assert server.exchanges == []
    assert snapshot(root) == before


def test_scan_finds_the_key_in_every_form_and_never_prints_it(
    form: str, provider_side: Path
) -> None:
    endpoint = FORMS[form][0]
    path = provider_side / "cassettes" / "openrouter" / f"{endpoint}.json"
    for fmt in ("text", "json"):
        result = CliRunner().invoke(
            cli, ["--root", str(provider_side), "scan", str(path), "--format", fmt]
        )
        assert result.exit_code == 1, (form, result.output)
        assert leaks(result.output, KEY) == []


def test_an_error_line_never_shows_a_key() -> None:
    result = CliRunner().invoke(cli, ["--root", str(REPO), "verify", f"openrouter/{KEY}"])
    assert result.exit_code == 2
    assert "<REDACTED>" in result.stderr
    assert leaks(result.output, KEY) == []


def test_a_failure_that_quotes_the_key_is_logged_and_reported_masked(tmp_path: Path) -> None:
    import httpx

    from provider_contracts.contract.registry import Registry
    from provider_contracts.contract.schemas import store_for
    from provider_contracts.live.caller import RetryPolicy
    from provider_contracts.live.record import Unreached, record_provider

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused {request.headers['authorization']}")

    root = make_project(tmp_path / "project", "openrouter")
    provider = Registry.load(root / "contracts").provider("openrouter")
    lines: list[str] = []
    [item] = record_provider(
        provider,
        [provider.endpoints["key"]],
        key=KEY,
        target=root / "fresh",
        committed=root / "cassettes",
        store=store_for(root / "contracts"),
        transport=httpx.MockTransport(refuse),
        policy=RetryPolicy(retries=1, backoff=0.0),
        sleep=lambda seconds: None,
        log=lines.append,
    )
    assert isinstance(item, Unreached)
    assert lines and "proxy refused" in lines[0]
    assert leaks("\n".join([*lines, item.reason]), KEY) == []
