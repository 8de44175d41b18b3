"""Scrubbing: no secret of any known format, anywhere in an interaction, reaches the
cassette text; ordinary ids stay as they are; `find_secrets` finds what scrubbing removes
and never shows it."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from provider_contracts.cassettes import scan, scrub
from provider_contracts.cassettes.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    to_dict,
)
from provider_contracts.cassettes.scan import SecretHit, find_secrets
from provider_contracts.cassettes.scrub import REDACTED, scrub_interaction, scrub_text
from provider_contracts.contract.body import Body
from provider_contracts.contract.registry import Registry
from support.paths import REPO as _REPO

B62 = string.ascii_letters + string.digits
URLSAFE = B62 + "-_"
HEX = "0123456789abcdef"


def _token(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


def _prefixed(prefix: st.SearchStrategy[str] | str, rest: st.SearchStrategy[str]) -> Any:
    start = st.just(prefix) if isinstance(prefix, str) else prefix
    return st.tuples(start, rest).map("".join)


# Realistic secrets of every format the scrubber knows, by the name `find_secrets` reports.
SECRETS: dict[str, st.SearchStrategy[str]] = {
    "openrouter key": _prefixed("sk-or-v1-", _token(HEX, 64, 64)),
    "anthropic key": _prefixed("sk-ant-api03-", _token(URLSAFE, 80, 95).map(lambda t: t + "AA")),
    "openai project key": _prefixed("sk-proj-", _token(URLSAFE, 40, 160)),
    "openai key": _prefixed("sk-", _token(B62, 48, 48)),
    "stripe secret key": _prefixed(st.sampled_from(["sk_test_", "sk_live_"]), _token(B62, 24, 99)),
    "stripe restricted key": _prefixed(
        st.sampled_from(["rk_test_", "rk_live_"]), _token(B62, 24, 99)
    ),
    "stripe webhook secret": _prefixed("whsec_", _token(B62, 32, 40)),
    "stripe client secret": st.tuples(
        st.sampled_from(["pi_", "seti_", "cs_test_", "cs_live_"]),
        _token(B62, 14, 58),
        st.just("_secret_"),
        _token(B62, 10, 30),
    ).map("".join),
    "bearer token": _prefixed("Bearer ", _token(B62 + "-._~+/", 20, 80)),
    "jwt": st.tuples(
        st.just("eyJ"),
        _token(URLSAFE, 10, 40),
        st.just(".eyJ"),
        _token(URLSAFE, 10, 80),
        st.just("."),
        _token(URLSAFE, 20, 43),
    ).map("".join),
    "aws access key": _prefixed("AKIA", _token(string.ascii_uppercase + string.digits, 16, 16)),
    "google api key": _prefixed("AIza", _token(URLSAFE, 35, 35)),
}
any_secret = st.sampled_from(sorted(SECRETS)).flatmap(
    lambda kind: st.tuples(st.just(kind), SECRETS[kind])
)

# Text around a secret: anything printable, with a separator a tokenizer would stop at.
filler = st.text(alphabet=string.ascii_letters + string.digits + " .,:;!?()[]{}'\"/", max_size=20)
separator = st.sampled_from([" ", "\n", "\t", ": ", "=", '"', "'", ",", "(", "/", "> "])


@st.composite
def embedded(draw: st.DrawFn, secret: str) -> str:
    if draw(st.booleans()):
        return secret
    core = secret.removeprefix("Bearer ")  # a filler that happens to spell it is not a leak
    around = filler.filter(lambda text: core not in text)
    return draw(around) + draw(separator) + secret + draw(separator) + draw(around)


json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(string.ascii_lowercase, min_size=1, max_size=8), inner, max_size=3
        )
    ),
    max_leaves=8,
)


@st.composite
def json_with(draw: st.DrawFn, leaf: str) -> Any:
    """A JSON document with `leaf` somewhere inside, at depth 0 to 5."""
    value: Any = leaf
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            siblings = draw(st.lists(json_values, max_size=2))
            at = draw(st.integers(0, len(siblings)))
            value = [*siblings[:at], value, *siblings[at:]]
        else:
            others = draw(st.dictionaries(st.sampled_from(["a", "b", "data", "x"]), json_values))
            value = {**others, draw(st.sampled_from(["content", "note", "k", "value"])): value}
    return value


def interaction(
    uri: str = "https://api.acme.test/v1/chat",
    request_headers: dict[str, tuple[str, ...]] | None = None,
    request_body: Body | None = None,
    response_headers: dict[str, tuple[str, ...]] | None = None,
    response_body: Body | None = None,
) -> Interaction:
    return Interaction(
        index=0,
        name="probe",
        source=None,
        request=RecordedRequest(
            "POST", uri, request_headers or {}, request_body or Body("empty", "")
        ),
        response=RecordedResponse(
            200, "OK", response_headers or {}, response_body or Body("json", {"ok": True})
        ),
    )


def stored(item: Interaction) -> str:
    return dumps(to_dict(Cassette(Path("x.json"), {}, (item,)))).decode()


SITES = (
    "request header",
    "auth header",
    "response header",
    "query parameter",
    "uri path",
    "json request body",
    "json response body",
    "form body",
    "sse data line",
    "sse comment line",
    "text body",
)


@st.composite
def with_secret(draw: st.DrawFn) -> tuple[str, str, Interaction]:
    kind, secret = draw(any_secret)
    site = draw(st.sampled_from(SITES))
    if site == "uri path" and " " in secret:
        site = "query parameter"  # a bearer token has a space: it is never a path segment
    text = draw(embedded(secret))
    if site == "request header":
        name = draw(st.sampled_from(["X-Trace", "X-Custom", "Referer", "Accept"]))
        item = interaction(request_headers={name: (text,)})
    elif site == "auth header":
        name = draw(st.sampled_from(["Authorization", "x-api-key", "x-portkey-api-key", "api-key"]))
        item = interaction(request_headers={name: (secret,)})
    elif site == "response header":
        name = draw(st.sampled_from(["Set-Cookie", "X-Debug", "Location"]))
        item = interaction(response_headers={name: (text,)})
    elif site == "query parameter":
        name = draw(st.sampled_from(["q", "key", "api_key", "next", "redirect"]))
        item = interaction(uri=f"https://api.acme.test/v1/x?a=1&{name}={quote(text)}&b=2")
    elif site == "uri path":
        item = interaction(uri=f"https://api.acme.test/v1/keys/{secret}/usage?a=1")
    elif site == "json request body":
        item = interaction(request_body=Body("json", draw(json_with(text))))
    elif site == "json response body":
        item = interaction(response_body=Body("json", draw(json_with(text))))
    elif site == "form body":
        name = draw(st.sampled_from(["description", "client_secret", "metadata[note]"]))
        form = f"amount=100&{quote_plus(name)}={quote_plus(text)}&currency=usd"
        item = interaction(
            request_headers={"Content-Type": ("application/x-www-form-urlencoded",)},
            request_body=Body("text", form),
        )
    elif site == "sse data line":
        chunk = orjson.dumps({"choices": [{"delta": {"content": text}}]}).decode()
        body = f": OPENROUTER PROCESSING\n\ndata: {chunk}\n\ndata: [DONE]\n\n"
        item = interaction(response_body=Body("sse", body))
    elif site == "sse comment line":
        body = f": {text.replace(chr(10), ' ')}\n\ndata: {{}}\n\ndata: [DONE]\n\n"
        item = interaction(response_body=Body("sse", body))
    else:
        item = interaction(response_body=Body("text", text))
    return kind, secret, item


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(with_secret())
def test_no_secret_survives_scrubbing_wherever_it_is(case: tuple[str, str, Interaction]) -> None:
    _, secret, item = case
    text = stored(scrub_interaction(item, None))
    hidden = secret.removeprefix("Bearer ")
    assert hidden not in text
    assert quote(hidden, safe="") not in text
    assert quote_plus(hidden) not in text


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(with_secret())
def test_a_scrubbed_cassette_scans_clean(case: tuple[str, str, Interaction]) -> None:
    _, _, item = case
    assert find_secrets(stored(scrub_interaction(item, None))) == []


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(with_secret())
def test_scrubbing_twice_changes_nothing_more(case: tuple[str, str, Interaction]) -> None:
    _, _, item = case
    once = scrub_interaction(item, None)
    assert scrub_interaction(once, None) == once


@settings(max_examples=300)
@given(any_secret, filler, separator, filler)
def test_find_secrets_finds_every_format_and_never_shows_it(
    found: tuple[str, str], before: str, sep: str, after: str
) -> None:
    kind, secret = found
    hidden = secret.removeprefix("Bearer ")
    assume(hidden not in before and hidden not in after)
    text = f"{before}{sep}{secret}{sep if sep != chr(10) else ' '}{after}"
    hits = find_secrets(text)
    assert [h.kind for h in hits] == [kind]
    assert hidden not in hits[0].excerpt
    assert hits[0].line == text.count("\n", 0, text.index(secret)) + 1


# --- no false positives ---------------------------------------------------------------------

REAL_IDS = [
    "cus_NffrFeUfNV2Hib",
    "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    "seti_1Mm8s8LkdIwHu7ix0OXBfTRG",
    "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u",
    "cs_live_b1nGzXjSvWnH8vPRfkXoJgQm0hTEcbC7xYz4Ua5rDlKp9qMsN2tI6eF3wO",
    "evt_1NG8Du2eZvKYlo2CUI79vXWy",
    "ch_3MmlLrLkdIwHu7ix0snN0B15",
    "in_1MtHbELkdIwHu7ixl4OzzPMv",
    "pm_1MqLiJLkdIwHu7ixUEgbFdYF",
    "price_1MoBy5LkdIwHu7ixZhnattbh",
    "req_8yGcyWkbD6V2Rx",
    "acct_1032D82eZvKYlo2C",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    "pk_live_51H8XqKLkdIwHu7ixabcdEFGHijklMNOPqrst",
    "gen-1741614582-Fpme8Bkh8QHTmZCUjyIX",
    "gen-1234567890-abcdefghijklmnopqrst",
    "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "chatcmpl-AbCdEf1234567890XYZabcdEFGH",
    "msg_01XFDUDYJgAACzvnptvVoYEL",
    "toolu_01A09q90qw90lq917835lq9",
    "srvtoolu_014hJH82Qum7Td6UV8gDXThB",
    "req_011CSHoEeqs5C35K2UUqR7Fy",
    "openai/gpt-4o-mini-2024-07-18",
    "anthropic/claude-3.5-sonnet:beta",
    "task-1234567890abcdefghijklmnop",
    "risk-adjusted-pricing-for-enterprise-tiers",
    "desk-reference-ABCDEFGHIJKLMNOPQRSTU",
    "5f0c7c9e-3b9a-4bd4-9e5d-1e2f3a4b5c6d",
    "c26125a5fa92cb52ac67f0c75b717229567db716",
]
# Text that looks close: masked keys as providers echo them, prose about auth.
LOOKALIKES = [
    "sk-or-v1-0e6...1c96",
    "sk-proj-********************************************abcd",
    "Bearer auth",
    "Authorization: Bearer YOUR_KEY",
    "use a monkey=1 key",
    "max_tokens=16&total_tokens=3",
]


@pytest.mark.parametrize("text", REAL_IDS + LOOKALIKES, ids=REAL_IDS + LOOKALIKES)
def test_ordinary_ids_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []
    assert scrub_text(text) == text


@given(
    st.lists(st.sampled_from(REAL_IDS), min_size=1, max_size=8),
    st.sampled_from([" ", "\n", '", "', "&", "/"]),
)
def test_ids_in_any_arrangement_are_not_secrets(ids: list[str], joiner: str) -> None:
    text = joiner.join(ids)
    assert find_secrets(text) == []
    assert scrub_text(text) == text


def test_ids_in_a_scrubbed_response_stay_as_they_are() -> None:
    body = {"id": "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u",
            "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "customer": "cus_NffrFeUfNV2Hib"}  # fmt: skip
    item = interaction(response_body=Body("json", body))
    assert scrub_interaction(item, None).response.body.value == body


# --- by name ----------------------------------------------------------------------------------


def test_an_auth_header_is_replaced_whole() -> None:
    item = interaction(request_headers={"Authorization": ("Basic dXNlcjpwYXNz",)})
    assert scrub_interaction(item, None).request.headers["Authorization"] == (REDACTED,)


def test_every_cookie_is_replaced() -> None:
    item = interaction(response_headers={"Set-Cookie": ("__cf_bm=abc; path=/", "_cfuvid=def")})
    assert scrub_interaction(item, None).response.headers["Set-Cookie"] == (REDACTED, REDACTED)


def test_other_headers_keep_their_values() -> None:
    headers = {"Content-Type": ("application/json",), "x-ratelimit-remaining-tokens": ("149000",)}
    item = interaction(response_headers=headers)
    assert scrub_interaction(item, None).response.headers == headers


def test_secret_fields_are_redacted_at_any_depth() -> None:
    body = {"data": [{"object": {"client_secret": "opaque value", "amount": 100}}]}
    scrubbed = scrub_interaction(interaction(response_body=Body("json", body)), None)
    assert scrubbed.response.body.value == {
        "data": [{"object": {"client_secret": REDACTED, "amount": 100}}]
    }


def test_null_secret_fields_stay_null() -> None:
    body = {"client_secret": None, "password": True}
    scrubbed = scrub_interaction(interaction(response_body=Body("json", body)), None)
    assert scrubbed.response.body.value == body


def test_form_fields_are_redacted_and_the_rest_kept_verbatim() -> None:
    form = "amount=100&client_secret=opaque&metadata%5Border%5D=42"
    item = interaction(
        request_headers={"Content-Type": ("application/x-www-form-urlencoded",)},
        request_body=Body("text", form),
    )
    scrubbed = scrub_interaction(item, None).request.body.value
    assert scrubbed == f"amount=100&client_secret={REDACTED}&metadata%5Border%5D=42"


def test_a_form_body_without_secrets_keeps_its_spelling() -> None:
    form = "amount=100&currency=usd&description=a+b"
    item = interaction(
        request_headers={"Content-Type": ("application/x-www-form-urlencoded",)},
        request_body=Body("text", form),
    )
    assert scrub_interaction(item, None).request.body.value == form


def test_query_keys_are_redacted() -> None:
    item = interaction(uri="https://generativelanguage.test/v1/models?key=AB12cd&alt=json")
    assert scrub_interaction(item, None).request.uri == (
        f"https://generativelanguage.test/v1/models?key={REDACTED}&alt=json"
    )


def test_a_password_in_the_uri_is_redacted() -> None:
    item = interaction(uri="https://user:hunter2@proxy.test/v1/chat")
    assert (
        scrub_interaction(item, None).request.uri == f"https://user:{REDACTED}@proxy.test/v1/chat"
    )


def test_bytes_bodies_are_left_alone() -> None:
    item = interaction(response_body=Body("bytes", b"\xff\xfe"))
    assert scrub_interaction(item, None).response.body == Body("bytes", b"\xff\xfe")


def test_stripe_publishable_keys_are_public_and_kept() -> None:
    text = "pk_live_51H8XqKLkdIwHu7ixabcdEFGHijklMNOPqrst"
    assert scrub_text(text) == text


def test_the_provider_manifest_adds_names(tmp_path: Path) -> None:
    provider = Registry.load(_REPO / "contracts").provider("anthropic")
    item = interaction(
        response_headers={"anthropic-organization-id": ("27796668-7351-40ac-acc4-024aee8995a5",)}
    )
    scrubbed = scrub_interaction(item, provider)
    assert scrubbed.response.headers["anthropic-organization-id"] == (REDACTED,)
    assert scrub_interaction(item, None) == item


def test_the_provider_body_fields_are_redacted(sample: Path) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    text = manifest.read_text().replace(
        "redact:\n", "redact:\n  body_fields: [session_blob]\n  query: [sig]\n"
    )
    manifest.write_text(text)
    provider = Registry.load(sample / "contracts").provider("acme")
    item = interaction(
        uri="https://api.acme.test/v1/chat?sig=abc123&a=1",
        response_body=Body("sse", 'data: {"session_blob":"xyz"}\n\n'),
    )
    scrubbed = scrub_interaction(item, provider)
    assert scrubbed.request.uri == f"https://api.acme.test/v1/chat?sig={REDACTED}&a=1"
    assert scrubbed.response.body.value == f'data: {{"session_blob":"{REDACTED}"}}\n\n'


# --- find_secrets -------------------------------------------------------------------------------


def test_a_hit_names_its_line_and_masks_the_secret() -> None:
    text = 'line one\n  "x-api-key": [\n    "sk-ant-api03-' + "a" * 40 + '"\n  ]'
    assert find_secrets(text) == [SecretHit("anthropic key", 3, '"sk-ant-****"')]


def test_one_secret_is_one_hit_whatever_catches_it() -> None:
    text = '"Authorization": ["Bearer sk-or-v1-' + "b" * 64 + '"]'
    assert find_secrets(text) == [
        SecretHit("openrouter key", 1, '"Authorization": ["Bearer sk-or-v1-****"]')
    ]


def test_a_named_field_reports_its_name() -> None:
    assert find_secrets('{"password": "correct horse"}') == [
        SecretHit("secret field password", 1, '{"password": "****"}')
    ]


def test_redacted_values_are_not_hits() -> None:
    assert (
        find_secrets(f'{{"client_secret": "{REDACTED}", "Authorization": ["Bearer {REDACTED}"]}}')
        == []
    )


def test_a_long_line_is_cut_around_the_hit() -> None:
    secret = "sk_live_" + "Z" * 30
    text = "x" * 300 + " " + secret + " " + "y" * 300
    (hit,) = find_secrets(text)
    assert len(hit.excerpt) <= scan.EXCERPT_WIDTH + 2
    assert "sk_live_****" in hit.excerpt
    assert hit.excerpt.startswith("…") and hit.excerpt.endswith("…")


def test_extra_names_are_looked_for() -> None:
    assert find_secrets('{"session_blob": "xyz"}') == []
    assert [h.kind for h in find_secrets('{"session_blob": "xyz"}', ["session_blob"])] == [
        "secret field session_blob"
    ]


def test_the_public_api_is_pinned() -> None:
    assert scrub.__all__ == ["REDACTED", "scrub_interaction", "scrub_text"]
    assert scan.__all__ == ["SecretHit", "find_secrets"]
    assert REDACTED == "<REDACTED>"
