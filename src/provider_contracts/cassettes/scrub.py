"""Scrubbing: secrets taken out of a recorded interaction before anything is written.

Two nets, both always cast:

- by *name*: auth headers (`Authorization`, `x-api-key`, `x-portkey-api-key`,
  `api-key`, ...), cookies, query parameters (`key`, `api_key`, ...), JSON and form
  fields (`client_secret`, `password`, ...), plus the provider manifest's
  `redact.headers`, `redact.query` and `redact.body_fields` and its auth header;
- by *format* and by *value*, anywhere (headers, URIs, JSON at any depth, form bodies,
  event streams, binary bodies), through `mask.Masker`: every known key format
  (`formats`), bearer tokens, and the keys in use that the caller names, as written and
  in every encoding (base64, percent and `\\u` escapes, split across stream deltas).

A secret becomes `<REDACTED>`; the header, field or parameter stays, so a reviewer sees
that it was sent. Ids stay as they are (`formats` says how). Stripe publishable keys
(`pk_live_`, `pk_test_`) are public by design (they ship in web pages) and are left
alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from ..contract.body import Body
from ..contract.registry import Provider
from .cassette import Interaction, RecordedRequest, RecordedResponse, header
from .formats import BEARER
from .mask import REDACTED, Masker

__all__ = ["REDACTED", "scrub_interaction", "scrub_text"]

_FORMATS_ONLY = Masker()

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-portkey-api-key",
        "api-key",
        "x-goog-api-key",
        "x-auth-token",
        "cookie",
        "set-cookie",
        "stripe-signature",
    }
)
# JSON and form fields, compared with `-` read as `_` and case ignored.
SECRET_FIELDS = frozenset(
    {
        "api_key",
        "apikey",
        "x_api_key",
        "x_portkey_api_key",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "client_secret",
        "secret",
        "secret_key",
        "private_key",
        "password",
        "passwd",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "session_token",
        "webhook_secret",
        "signing_secret",
        "stripe_signature",
    }
)
SECRET_QUERY = frozenset({"key", "token", *SECRET_FIELDS})


def _names(names: Iterable[str]) -> str:
    spelled = sorted({n.lower().replace("_", "-") for n in names}, key=len, reverse=True)
    return "|".join(re.escape(n).replace("\\-", "[-_]") for n in spelled)


def field_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """`"name": "value"` and `"name": ["value"` in JSON text, raw or escaped in a string."""
    alternatives = _names(names)
    return re.compile(
        rf'(?=[\\"])(?P<pre>(?P<q>\\?")(?i:{alternatives})(?P=q)\s*:\s*(?:\[\s*)?(?P=q))'
        rf"(?P<secret>(?:(?!(?P=q)).)+?)(?=(?P=q))",
        re.DOTALL,
    )


def query_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """`name=value` as in a query string or a form body."""
    first = "".join(sorted({c for n in names for c in (n[0].lower(), n[0].upper())}))
    return re.compile(
        rf"(?=[{re.escape(first)}])(?P<pre>(?<![A-Za-z0-9_\-])(?i:{_names(names)})=)"
        rf"(?P<secret>[^&\s\"'#<\\]+)"
    )


FIELDS = field_pattern(SECRET_FIELDS | SECRET_HEADERS)
QUERY = query_pattern(SECRET_QUERY)


# --- text ---------------------------------------------------------------------------------


def norm(name: str) -> str:
    return name.lower().replace("-", "_")


@dataclass(frozen=True, slots=True)
class _Rules:
    """The patterns for one scrub: the defaults, or with a provider's names added."""

    fields: re.Pattern[str]
    query: re.Pattern[str]
    field_names: frozenset[str]
    header_names: frozenset[str]
    query_names: frozenset[str]
    masker: Masker | None = _FORMATS_ONLY  # None: the text is known to hold nothing it finds


# A header named like a secret field (`Secret: ...`) is redacted too, and a JSON field
# named like a secret header (`"x-api-key": ...`): the same names as the text patterns.
_DEFAULT = _Rules(
    FIELDS,
    QUERY,
    SECRET_FIELDS | {norm(h) for h in SECRET_HEADERS},
    SECRET_HEADERS,
    SECRET_QUERY,
)


def _rules(provider: Provider | None, masker: Masker | None) -> _Rules:
    """The default rules, with the provider's `redact` names, auth header and keys added."""
    if masker is not None:
        return replace(_rules(provider, None), masker=masker)
    if provider is None:
        return _DEFAULT
    fields = {norm(n) for n in provider.redact.get("body_fields", ())}
    headers = {n.lower() for n in provider.redact.get("headers", ())} | {
        provider.auth.header.lower()
    }
    query = {norm(n) for n in provider.redact.get("query", ())}
    if fields <= SECRET_FIELDS and headers <= SECRET_HEADERS and query <= SECRET_QUERY:
        return _DEFAULT
    return _Rules(
        field_pattern(SECRET_FIELDS | SECRET_HEADERS | fields | headers),
        query_pattern(SECRET_QUERY | query),
        _DEFAULT.field_names | fields | {norm(h) for h in headers},
        SECRET_HEADERS | headers,
        SECRET_QUERY | query,
    )


def is_clean(value: str) -> bool:
    """Already scrubbed, or nothing to scrub."""
    return not value.strip() or REDACTED in value


def _redact_group(match: re.Match[str]) -> str:
    secret = match.group("secret")
    return match.group(0) if is_clean(secret) else match.group("pre") + REDACTED


def _scrub(text: str, rules: _Rules) -> str:
    if len(text) < 3:  # the shortest pattern, `k=v`
        return text
    if rules.masker is not None:
        text = rules.masker.text(text)
    if "earer" in text or "EARER" in text:
        text = BEARER.sub(_redact_group, text)
    if '"' in text:
        text = rules.fields.sub(_redact_group, text)
    if "=" in text:
        text = rules.query.sub(_redact_group, text)
    return text


def scrub_text(text: str) -> str:
    """`text` with every secret-looking value replaced by `<REDACTED>`."""
    return _scrub(text, _DEFAULT)


# --- interactions ---------------------------------------------------------------------------


def scrub_interaction(
    interaction: Interaction, provider: Provider | None, masker: Masker | None = None
) -> Interaction:
    """A copy of the interaction with every secret replaced by `<REDACTED>`.

    `masker` knows the keys in use (`Masker([key])`), so that they are found in any form;
    without it, the known formats are.
    """
    rules = _rules(provider, masker)
    request, response = interaction.request, interaction.response
    return replace(
        interaction,
        request=RecordedRequest(
            method=request.method,
            uri=_uri(request.uri, rules),
            headers=_headers(request.headers, rules),
            body=_body(request.body, header(request.headers, "content-type"), rules),
        ),
        response=RecordedResponse(
            status=response.status,
            reason=response.reason,
            headers=_headers(response.headers, rules),
            body=_body(response.body, response.content_type, rules),
        ),
    )


def _headers(headers: Mapping[str, tuple[str, ...]], rules: _Rules) -> dict[str, tuple[str, ...]]:
    return {
        name: tuple(REDACTED for _ in values)
        if name.lower() in rules.header_names or norm(name) in rules.field_names
        else tuple(_scrub(v, rules) for v in values)
        for name, values in headers.items()
    }


def _pairs(text: str, rules: _Rules) -> str:
    """A query string or form body, secret parameters redacted; untouched if none."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return _scrub(text, rules)
    scrubbed = [
        (k, REDACTED if norm(k) in rules.query_names and not is_clean(v) else _scrub(v, rules))
        for k, v in pairs
    ]
    if scrubbed == pairs:
        return _scrub(text, rules)  # keep the original spelling; secrets in names, if any
    encoded = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in scrubbed)
    return _scrub(encoded, rules)


def _quote(value: str) -> str:
    return quote(value, safe="").replace(quote(REDACTED, safe=""), REDACTED)


def _uri(uri: str, rules: _Rules) -> str:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return _scrub(uri, rules)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{host}" if colon else f"{REDACTED}@{host}"
    query = _pairs(parts.query, rules) if parts.query else ""
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return _scrub(rebuilt, rules)


def _body(body: Body, content_type: str | None, rules: _Rules) -> Body:
    masker = rules.masker or _FORMATS_ONLY
    if body.kind == "json":
        # One search of the whole document first: most hold no secret, and then no string
        # of it needs the masker (the names are still looked at, string by string).
        if not masker.spans(body.text):
            rules = replace(rules, masker=None)
        return Body("json", _json(body.value, rules))
    if body.kind == "sse":
        return Body("sse", _scrub(masker.stream(str(body.value)), rules))
    if body.kind == "text":
        text = str(body.value)
        if "x-www-form-urlencoded" in (content_type or ""):
            return Body("text", _pairs(text, rules))
        return Body("text", _scrub(text, rules))
    if body.kind == "bytes":
        return Body("bytes", masker.bytes(bytes(body.value)))
    return body


def _json(value: Any, rules: _Rules) -> Any:
    if isinstance(value, dict):
        return {
            _scrub(k, rules) if isinstance(k, str) else k: _field(k, v, rules)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_json(v, rules) for v in value]
    if isinstance(value, str):
        return _scrub(value, rules)
    return value


def _field(name: Any, value: Any, rules: _Rules) -> Any:
    if (
        isinstance(name, str)
        and norm(name) in rules.field_names
        and isinstance(value, (str, int, float))
        and not isinstance(value, bool)
        and not (isinstance(value, str) and is_clean(value))
    ):
        return REDACTED
    return _json(value, rules)
