"""The campaign over encodings and positions: a key of each known format, in each encoding,
at a random place of a JSON string, an SSE data line, a stream split into deltas, a
binary body, a header or a query string. After scrubbing (with the key's masker, and
with the known formats alone) no form of it is left; in the unscrubbed cassette,
`find_secrets` finds it."""

from __future__ import annotations

import base64
import random
import string
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provider_contracts.cassettes.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    to_dict,
)
from provider_contracts.cassettes.formats import fragments
from provider_contracts.cassettes.mask import REDACTED, Masker
from provider_contracts.cassettes.scan import find_secrets
from provider_contracts.cassettes.scrub import scrub_interaction
from provider_contracts.contract.body import Body
from support.leaks import leaks
from support.paths import REPO

B62 = string.ascii_letters + string.digits
URLSAFE = B62 + "-_"
UPPER = string.ascii_uppercase + string.digits


def _token(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size + 20)


# Keys of each known format, by the kind `find_secrets` names.
KEYS: dict[str, st.SearchStrategy[str]] = {
    "openrouter key": _token("0123456789abcdef", 64).map(lambda t: "sk-or-v1-" + t),
    "anthropic key": _token(URLSAFE, 80).map(lambda t: "sk-ant-api03-" + t),
    "openai project key": _token(URLSAFE, 40).map(lambda t: "sk-proj-" + t),
    "openai key": _token(B62, 48).map(lambda t: "sk-" + t),
    "stripe secret key": st.tuples(st.sampled_from(["sk_test_", "sk_live_"]), _token(B62, 24)).map(
        "".join
    ),
    "stripe restricted key": _token(B62, 24).map(lambda t: "rk_live_" + t),
    "stripe webhook secret": _token(B62, 32).map(lambda t: "whsec_" + t),
    "stripe client secret": st.tuples(_token(B62, 14), _token(B62, 10)).map(
        lambda p: f"pi_{p[0]}_secret_{p[1]}"
    ),
    "jwt": st.tuples(_token(URLSAFE, 10), _token(URLSAFE, 10), _token(URLSAFE, 20)).map(
        lambda p: f"eyJ{p[0]}.eyJ{p[1]}.{p[2]}"
    ),
    "aws access key": st.text(UPPER, min_size=16, max_size=16).map(lambda t: "AKIA" + t),
    "google api key": st.text(URLSAFE, min_size=35, max_size=35).map(lambda t: "AIza" + t),
}
any_key = st.sampled_from(sorted(KEYS)).flatmap(lambda kind: st.tuples(st.just(kind), KEYS[kind]))


def _escaped(key: str, rng: random.Random, how: str) -> str:
    def one(char: str) -> str:
        kind = how if how != "mixed" else rng.choice(["raw", "percent", "unicode"])
        if kind == "percent":
            return f"%{ord(char):02X}" if rng.random() < 0.5 else f"%{ord(char):02x}"
        if kind == "unicode":
            return f"\\u{ord(char):04x}" if rng.random() < 0.5 else f"\\u{ord(char):04X}"
        return char

    return "".join(one(c) for c in key)


ENCODINGS = ("raw", "percent", "unicode", "mixed", "base64", "urlsafe base64")
SITES = ("json string", "sse data line", "sse deltas", "binary body", "header", "query")
words = st.text(alphabet=B62 + " .,:", max_size=12)


@st.composite
def case(draw: st.DrawFn, glued: bool) -> tuple[str, str, str, Interaction]:
    kind, key = draw(any_key)
    encoding = draw(st.sampled_from(ENCODINGS))
    site = draw(st.sampled_from(SITES))
    rng = random.Random(draw(st.integers(0, 2**32)))
    before = draw(words) + ("" if glued else " ")
    after = ("" if glued else " ") + draw(words)
    if encoding.endswith("base64"):
        raw = before.encode() + key.encode() + after.encode()
        encode = base64.urlsafe_b64encode if encoding.startswith("urlsafe") else base64.b64encode
        form = encode(raw).decode()
    else:
        form = before + _escaped(key, rng, encoding) + after
    return kind, key, site, _interaction(site, form, rng)


def _interaction(site: str, form: str, rng: random.Random) -> Interaction:
    request_headers: dict[str, tuple[str, ...]] = {}
    response_headers: dict[str, tuple[str, ...]] = {}
    uri = "https://api.acme.test/v1/chat"
    body = Body("json", {"ok": True})
    if site == "json string":
        body = Body("json", {"data": [{"note": form, "n": 1}]})
    elif site == "sse data line":
        chunk = orjson.dumps({"choices": [{"delta": {"content": form}}]}).decode()
        body = Body("sse", f": PROCESSING\n\ndata: {chunk}\n\ndata: [DONE]\n\n")
    elif site == "sse deltas":
        cuts = sorted(rng.sample(range(1, len(form)), k=min(3, len(form) - 1)))
        parts = [form[a:b] for a, b in zip([0, *cuts], [*cuts, len(form)], strict=True)]
        lines = [
            "data: " + orjson.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}).decode()
            for p in parts
        ]
        body = Body("sse", "\n\n".join([*lines, "data: [DONE]", ""]))
    elif site == "binary body":
        body = Body("bytes", rng.randbytes(rng.randint(0, 9)) + form.encode() + b"\x00\xff")
    elif site == "header":
        response_headers = {"X-Debug": (form,)}
    else:
        uri = f"{uri}?a=1&note={form.replace('&', '%26').replace(' ', '+')}&b=2"
    return Interaction(
        index=0,
        name="probe",
        source=None,
        request=RecordedRequest("GET", uri, request_headers, Body("empty", "")),
        response=RecordedResponse(200, "OK", response_headers, body),
    )


def stored(item: Interaction) -> str:
    return dumps(to_dict(Cassette(Path("x.json"), {}, (item,)))).decode()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case(glued=True))
def test_the_key_in_use_leaves_no_trace_anywhere_in_any_form(
    found: tuple[str, str, str, Interaction],
) -> None:
    _, key, _, item = found
    text = stored(scrub_interaction(item, None, Masker([key])))
    assert leaks(text, key) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case(glued=False))
def test_a_known_format_leaves_no_trace_even_when_the_key_is_not_known(
    found: tuple[str, str, str, Interaction],
) -> None:
    _, key, _, item = found
    assert leaks(stored(scrub_interaction(item, None)), key) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case(glued=False))
def test_scan_finds_every_known_format_in_every_form_and_place(
    found: tuple[str, str, str, Interaction],
) -> None:
    kind, key, _, item = found
    text = stored(item)
    hits = find_secrets(text)
    assert any(hit.kind.startswith(kind) for hit in hits), (kind, hits)
    for hit in hits:
        assert leaks(hit.excerpt, key) == []


@settings(max_examples=100, deadline=None)
@given(case(glued=False))
def test_a_scrubbed_cassette_scans_clean_whatever_the_form(
    found: tuple[str, str, str, Interaction],
) -> None:
    _, key, _, item = found
    assert find_secrets(stored(scrub_interaction(item, None, Masker([key])))) == []


# --- no false alarms ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=200, max_size=4000))
def test_ordinary_base64_is_not_a_secret(data: bytes) -> None:
    for encoded in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
        assert find_secrets(orjson.dumps({"b64_json": encoded}).decode()) == []
        assert Masker().text(encoded) == encoded


def test_the_committed_cassettes_and_test_data_scan_clean() -> None:
    files = [p for folder in ("cassettes", "tests/data") for p in (REPO / folder).rglob("*.json")]
    assert len(files) > 20
    for path in files:
        assert find_secrets(path.read_text("utf-8", "replace")) == [], path


def test_a_base64_fragment_depends_on_the_key_alone() -> None:
    key = b"sk-or-v1-" + b"ab12" * 10
    for align in range(3):
        for tail in (b"", b"x", b"xy"):
            whole = base64.b64encode(b"z" * align + key + tail).decode()
            found = [f for f in fragments(key) if f in whole]
            assert found, (align, tail)


@pytest.mark.parametrize(
    "text",
    ["%41%42 plain", "\\u00e9t\\u00e9 caf\\u00e9", "data:image/png;base64,iVBORw0KGgo=", ""],
)
def test_escapes_and_images_without_keys_are_left_as_they_are(text: str) -> None:
    assert Masker().text(text) == text
    assert REDACTED not in Masker(["sk-or-v1-" + "0" * 64]).text(text)


def test_a_key_split_across_deltas_is_masked_in_each_delta_that_carries_a_piece() -> None:
    key = "sk-or-v1-" + "5e" * 32
    parts = ["Your key: ", key[:7], key[7:40], key[40:], " done"]
    stream = "\n\n".join(
        "data: " + orjson.dumps({"choices": [{"delta": {"content": p}}]}).decode() for p in parts
    )
    masked = Masker([key]).stream(stream)
    contents = [
        orjson.loads(line[6:])["choices"][0]["delta"]["content"] for line in masked.split("\n\n")
    ]
    assert contents == ["Your key: ", REDACTED, REDACTED, REDACTED, " done"]
    assert Masker().stream(stream).count(REDACTED) == 3  # the format alone finds it too
