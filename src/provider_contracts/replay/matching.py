"""Which recorded interaction answers a request made in a test.

A request is answered by an interaction of a replayed endpoint when three things agree:

- the method;
- the path: the path of the provider manifest's `base_url` followed by the endpoint's
  path (`/api/v1` + `/chat/completions`), with `{name}` matching any one segment. The
  host is not compared, so a client may point at any base URL with the same path;
- whether the request streams: a JSON body with `"stream": true` is answered only by a
  streamed interaction (one whose recorded body says `stream: true`, or, when it does
  not say, one of an endpoint with a `stream:` contract), and any other body only by a
  non-streamed one. This is what tells `chat_completions` from `chat_completions_stream`.

Among the interactions that agree, the first whose recorded query and top-level body
fields equal the request's answers; failing that, a success (a 2xx that is not an error
under a success status) before an error, and among those the one with the most query and
body fields equal to the request's; a tie goes to the first, in the order the endpoints
were named and the interactions recorded. So a test's own prompt gets the recorded
answer, and a request recorded with an error (a Stripe call without `line_items`) gets
that error. When none agrees, the closest one is named with what differed, so the test's
author sees why.

That is the `strict` policy, the test transports'. The replay server uses the same
matcher with the `lenient` policy (`match(..., policy="lenient")`): it never refuses a
request on a served method and path, and answers a recorded error only when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit

import orjson

from ..contract.registry import Endpoint

__all__ = [
    "Candidate",
    "Difference",
    "Miss",
    "Policy",
    "RequestShape",
    "Route",
    "base_path",
    "match",
    "path_pattern",
]

T = TypeVar("T")
Policy = Literal["strict", "lenient"]

UNMATCHED = "no recorded interaction answers {method} {url}"
CLOSEST = "closest recorded request: {label}"
NO_CANDIDATES = "no endpoint is replayed in this test; name one with @pytest.mark.contract(...)"
ABSENT = "absent"
HIDDEN = "(not shown: a secret)"
SHOWN = 8  # differences listed with a miss
MORE = "  ... and {count} more differences"
# A hard difference rules an interaction out; its weight orders the closest ones.
_WEIGHT = {"path": 4, "method": 2, "stream": 1}


@dataclass(frozen=True, slots=True)
class Route:
    """Where an endpoint answers: its method and full path, and whether it streams."""

    endpoint: str  # PROVIDER/ENDPOINT
    method: str
    path: str  # the base URL's path and the endpoint's, e.g. /api/v1/chat/completions
    pattern: re.Pattern[str]
    stream: bool
    secret_query: frozenset[str] = frozenset()  # query parameters never shown (keys)

    @classmethod
    def of(cls, endpoint: Endpoint, base_url: str, secret_query: Iterable[str] = ()) -> Route:
        path = base_path(base_url) + endpoint.path
        return cls(
            endpoint.id,
            endpoint.method,
            path,
            path_pattern(path),
            endpoint.stream is not None,
            frozenset(secret_query),
        )

    def remainder(self, path: str, base_url: str) -> str:
        """The part of a matching request path after the base URL's path."""
        return path[len(base_path(base_url)) :]


def base_path(base_url: str) -> str:
    return urlsplit(base_url).path.rstrip("/")


def path_pattern(template: str) -> re.Pattern[str]:
    """A path template (`/events/{id}`) as a pattern: a `{name}` is one segment; a trailing
    slash is allowed."""
    parts = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?")


@dataclass(frozen=True, slots=True)
class RequestShape:
    """The parts of a request that select an interaction."""

    method: str
    url: str
    path: str
    query: Mapping[str, Any]
    fields: Mapping[str, Any]  # top-level fields of a JSON object or form body
    stream: bool | None  # the body's `stream` field when it is a boolean, else None

    @classmethod
    def parse(
        cls, method: str, url: str, body: bytes | str | None, content_type: str | None
    ) -> RequestShape:
        return cls.from_fields(method, url, _fields(body, content_type or ""))

    @classmethod
    def from_fields(cls, method: str, url: str, fields: Mapping[str, Any] | None) -> RequestShape:
        """A shape from a body that is already parsed (a recorded JSON body)."""
        parts = urlsplit(url)
        found = dict(fields) if isinstance(fields, Mapping) else {}
        stream = found.get("stream")
        return cls(
            method=method.upper(),
            url=url,
            path=parts.path or "/",
            query=_pairs(parse_qsl(parts.query, keep_blank_values=True)),
            fields=found,
            stream=stream if isinstance(stream, bool) else None,
        )


def _fields(body: bytes | str | None, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "form-urlencoded" in content_type:
        return _pairs(parse_qsl(text, keep_blank_values=True))
    if "json" in content_type or text.lstrip()[:1] == "{":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            previous = found[key]
            found[key] = (*previous, value) if isinstance(previous, tuple) else (previous, value)
        else:
            found[key] = value
    return found


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """Something that may answer: a route, the request recorded with it, and what it carries."""

    route: Route
    recorded: RequestShape | None  # None: any request on the route (live forwarding)
    label: str  # how a message names it
    payload: T
    preferred: bool = True  # a success, chosen before errors that match as well

    @property
    def stream(self) -> bool:
        explicit = self.recorded.stream if self.recorded is not None else None
        return self.route.stream if explicit is None else explicit


@dataclass(frozen=True, slots=True)
class Difference:
    """One way a request departs from a recorded one."""

    part: str  # "method", "path", "stream", "body field 'model'", "query 'limit'"
    recorded: str
    got: str

    def __str__(self) -> str:
        name = "body field 'stream'" if self.part == "stream" else self.part
        return f"{name}: recorded {self.recorded}, got {self.got}"


@dataclass(frozen=True, slots=True)
class Miss(Generic[T]):
    """A request nothing answers, with the closest candidate and how it differs."""

    request: RequestShape
    closest: Candidate[T] | None
    differences: tuple[Difference, ...]

    @property
    def message(self) -> str:
        # The query is left out: it may carry a key; its differences are listed below.
        url = self.request.url.partition("?")[0]
        lines = [UNMATCHED.format(method=self.request.method, url=url)]
        if self.closest is None:
            lines.append(NO_CANDIDATES)
            return "\n".join(lines)
        lines.append(CLOSEST.format(label=self.closest.label))
        lines.extend(f"  {difference}" for difference in self.differences[:SHOWN])
        if len(self.differences) > SHOWN:
            lines.append(MORE.format(count=len(self.differences) - SHOWN))
        return "\n".join(lines)


def match(
    candidates: Sequence[Candidate[T]], request: RequestShape, policy: Policy = "strict"
) -> Candidate[T] | Miss[T]:
    """The candidate that answers the request, or a `Miss` naming the closest one.

    `strict` (the test transports): the method, the path and streaming must agree, and a
    request recorded exactly as made gets its own answer, even an error. `lenient` (the
    replay server): only the method and the path must agree; a candidate that streams as
    asked comes first, then a success, then one recorded with exactly this request, then
    the first recorded; so a client making an ordinary request gets an ordinary answer.
    """
    best: Candidate[T] | None = None
    best_rank: tuple[bool, bool, bool, int] = (False, False, False, 0)
    for candidate in candidates:
        hard = _hard(candidate, request)
        if hard and (policy == "strict" or any(d.part != "stream" for d in hard)):
            continue
        equal, differing = _compare(candidate.recorded, request)
        exact = candidate.recorded is not None and not differing
        if policy == "strict":
            rank = (exact, candidate.preferred, True, equal)
        else:
            rank = (not hard, candidate.preferred, exact, 0)
        if best is None or rank > best_rank:
            best, best_rank = candidate, rank
    if best is not None:
        return best
    if not candidates:
        return Miss(request, None, ())

    def distance(candidate: Candidate[T]) -> tuple[int, int]:
        hard = _hard(candidate, request)
        return sum(_WEIGHT[d.part] for d in hard), -similarity(candidate.recorded, request)

    closest = min(candidates, key=distance)  # min keeps the first of equals
    soft = _soft(closest.recorded, request, closest.route.secret_query)
    return Miss(request, closest, _hard(closest, request) + soft)


def similarity(recorded: RequestShape | None, request: RequestShape) -> int:
    """One point per query or body field with the same value, minus one per other field."""
    equal, differing = _compare(recorded, request)
    return equal - differing


def _compare(recorded: RequestShape | None, request: RequestShape) -> tuple[int, int]:
    """How many query and body fields are equal, and how many differ or are on one side."""
    if recorded is None:
        return 0, 0
    equal = differing = 0
    for ours, theirs in ((recorded.query, request.query), (recorded.fields, request.fields)):
        for key in ours.keys() | theirs.keys():
            if key in ours and key in theirs and _same(ours[key], theirs[key]):
                equal += 1
            else:
                differing += 1
    return equal, differing


def _same(a: Any, b: Any) -> bool:
    # `True == 1` in Python; a recorded `stream: true` is not a request's `stream: 1`.
    return type(a) is type(b) and bool(a == b)


def _hard(candidate: Candidate[Any], request: RequestShape) -> tuple[Difference, ...]:
    route = candidate.route
    found: list[Difference] = []
    if route.method != request.method:
        found.append(Difference("method", route.method, request.method))
    if not route.pattern.fullmatch(request.path):
        found.append(Difference("path", route.path, request.path))
    if candidate.stream != (request.stream is True):
        found.append(_stream_difference(candidate, request))
    return tuple(found)


def _stream_difference(candidate: Candidate[Any], request: RequestShape) -> Difference:
    explicit = candidate.recorded.stream if candidate.recorded is not None else None
    if explicit is not None:
        recorded = _render(explicit)
    elif candidate.route.stream:
        recorded = f"true ({candidate.route.endpoint} is a streamed endpoint)"
    else:
        recorded = f"{ABSENT} ({candidate.route.endpoint} does not stream)"
    got = _render(request.fields["stream"]) if "stream" in request.fields else ABSENT
    return Difference("stream", recorded, got)


def _soft(
    recorded: RequestShape | None, request: RequestShape, secret: frozenset[str] = frozenset()
) -> tuple[Difference, ...]:
    """The query and body fields that differ: shown with a miss, never a reason for one."""
    if recorded is None:
        return ()
    found: list[Difference] = []
    for kind, ours, theirs in (
        ("query", recorded.query, request.query),
        ("body field", recorded.fields, request.fields),
    ):
        for key in sorted(ours.keys() | theirs.keys()):
            if key == "stream" and kind == "body field":
                continue  # a hard difference when it matters
            a = _render(ours[key]) if key in ours else ABSENT
            b = _render(theirs[key]) if key in theirs else ABSENT
            if kind == "query" and key in secret:
                a, b = (HIDDEN if key in ours else ABSENT), (HIDDEN if key in theirs else ABSENT)
            if key not in ours or key not in theirs or not _same(ours[key], theirs[key]):
                found.append(Difference(f"{kind} {key!r}", a, b))
    return tuple(found)


def _render(value: Any, limit: int = 60) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
