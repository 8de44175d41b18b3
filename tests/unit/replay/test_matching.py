from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts.contract.registry import Registry
from provider_contracts.replay.matching import (
    MORE,
    NO_CANDIDATES,
    Candidate,
    Miss,
    RequestShape,
    Route,
    base_path,
    match,
)

BASE = "https://api.acme.test/v1"


def route(path: str = "/chat/completions", method: str = "POST", stream: bool = False) -> Route:
    import re

    full = base_path(BASE) + path
    pattern = re.compile(re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(full)))
    return Route("acme/chat", method, full, pattern, stream)


def recorded(
    fields: dict[str, Any] | None = None, url: str = BASE + "/chat/completions"
) -> RequestShape:
    return RequestShape.from_fields("POST", url, fields or {})


def asked(
    fields: dict[str, Any] | None = None,
    url: str = BASE + "/chat/completions",
    method: str = "POST",
) -> RequestShape:
    return RequestShape.parse(method, url, orjson.dumps(fields or {}), "application/json")


def candidate(
    label: str,
    fields: dict[str, Any] | None = None,
    *,
    preferred: bool = True,
    on: Route | None = None,
) -> Candidate[str]:
    return Candidate(on or route(), recorded(fields), label, label, preferred)


def test_a_route_is_the_base_url_path_followed_by_the_endpoint_path(sample: Path) -> None:
    registry = Registry.load(sample / "contracts")
    found = Route.of(registry.endpoint("acme/chat"), registry.provider("acme").base_url)
    assert (found.method, found.path, found.stream) == ("POST", "/v1/chat/completions", False)


def test_a_path_parameter_matches_any_one_segment(sample: Path) -> None:
    registry = Registry.load(sample / "contracts")
    endpoint = registry.endpoint("acme/chat")
    templated = Route.of(replace(endpoint, path="/chat/{id}"), BASE)
    assert templated.pattern.fullmatch("/v1/chat/cmpl-1")
    assert not templated.pattern.fullmatch("/v1/chat/cmpl-1/more")


@pytest.mark.parametrize(
    ("url", "body", "content_type", "fields", "query"),
    [
        (
            BASE + "/x",
            b'{"model": "m", "stream": true}',
            "application/json",
            {"model": "m", "stream": True},
            {},
        ),
        (
            BASE + "/x",
            b"mode=payment&a=1&a=2",
            "application/x-www-form-urlencoded",
            {"mode": "payment", "a": ("1", "2")},
            {},
        ),
        (BASE + "/x?limit=5&offset=0", None, None, {}, {"limit": "5", "offset": "0"}),
        (BASE + "/x", b"[1, 2]", "application/json", {}, {}),
        (BASE + "/x", b"{not json", "application/json", {}, {}),
        (BASE + "/x", b"plain words", "text/plain", {}, {}),
    ],
    ids=[
        "json-object",
        "form-with-repeated-key",
        "query-only",
        "json-array",
        "broken-json",
        "plain-text",
    ],
)
def test_a_request_is_read_into_its_selecting_fields(
    url: str,
    body: bytes | None,
    content_type: str | None,
    fields: dict[str, Any],
    query: dict[str, Any],
) -> None:
    shape = RequestShape.parse("post", url, body, content_type)
    assert (shape.method, shape.fields, shape.query) == ("POST", fields, query)


def test_the_first_matching_interaction_answers_when_all_are_alike() -> None:
    found = match([candidate("first"), candidate("second")], asked({"prompt": "hi"}))
    assert isinstance(found, Candidate) and found.label == "first"


def test_the_interaction_with_most_equal_body_fields_answers() -> None:
    found = match(
        [
            candidate("other model", {"model": "b", "max_tokens": 1}),
            candidate("same model", {"model": "a"}),
        ],
        asked({"model": "a", "max_tokens": 9}),
    )
    assert isinstance(found, Candidate) and found.label == "same model"


def test_a_success_answers_before_an_error_that_matches_as_many_fields() -> None:
    found = match(
        [candidate("error", {"model": "a"}, preferred=False), candidate("success", {"model": "b"})],
        asked({"model": "a", "prompt": "mine"}),
    )
    assert isinstance(found, Candidate) and found.label == "success"


def test_an_error_recorded_for_exactly_this_request_answers_it() -> None:
    found = match(
        [
            candidate("success", {"mode": "payment", "line_items": "x"}),
            candidate("missing line_items", {"mode": "payment"}, preferred=False),
        ],
        asked({"mode": "payment"}),
    )
    assert isinstance(found, Candidate) and found.label == "missing line_items"


def test_stream_true_selects_the_streamed_endpoint_on_a_shared_path() -> None:
    plain = Candidate(route(stream=False), recorded({"model": "a"}), "plain", "plain")
    streamed = Candidate(route(stream=True), recorded({"model": "a"}), "streamed", "streamed")
    assert match([plain, streamed], asked({"model": "a", "stream": True})) is streamed
    assert match([plain, streamed], asked({"model": "a"})) is plain


def test_a_recorded_stream_flag_overrides_the_endpoint_kind() -> None:
    flagged = Candidate(route(stream=False), recorded({"stream": True}), "flagged", "flagged")
    assert match([flagged], asked({"stream": True})) is flagged


@pytest.mark.parametrize(
    ("request_shape", "line"),
    [
        (asked({}, method="GET"), "method: recorded POST, got GET"),
        (
            asked({}, url=BASE + "/chat/completion"),
            "path: recorded /v1/chat/completions, got /v1/chat/completion",
        ),
        (
            asked({}, url="https://api.acme.test/v2/chat/completions"),
            "path: recorded /v1/chat/completions, got /v2/chat/completions",
        ),
        (
            asked({"stream": True}),
            "body field 'stream': recorded absent (acme/chat does not stream), got true",
        ),
    ],
    ids=["method", "path", "base-path", "stream"],
)
def test_a_miss_names_the_closest_recorded_request_and_what_differed(
    request_shape: RequestShape, line: str
) -> None:
    found = match([candidate("acme/chat #0 completion", {"model": "a"})], request_shape)
    assert isinstance(found, Miss)
    lines = found.message.splitlines()
    assert lines[0] == f"no recorded interaction answers {request_shape.method} {request_shape.url}"
    assert lines[1] == "closest recorded request: acme/chat #0 completion"
    assert f"  {line}" in lines


def test_a_miss_on_a_streamed_endpoint_says_it_streams() -> None:
    streamed = Candidate(route(stream=True), recorded({}), "s", "s")
    found = match([streamed], asked({"model": "a"}))
    assert isinstance(found, Miss)
    assert (
        "body field 'stream': recorded true (acme/chat is a streamed endpoint), got absent"
        in found.message
    )


def test_a_miss_lists_the_body_fields_that_differ() -> None:
    found = match(
        [candidate("c", {"model": "a", "temperature": 0.7})], asked({"model": "b"}, method="GET")
    )
    assert isinstance(found, Miss)
    assert '  body field \'model\': recorded "a", got "b"' in found.message.splitlines()
    assert "  body field 'temperature': recorded 0.7, got absent" in found.message.splitlines()


def test_a_long_list_of_differences_is_cut_short() -> None:
    many = {f"field{i}": i for i in range(12)}
    found = match([candidate("c", many)], asked({}, method="GET"))
    assert isinstance(found, Miss)
    assert found.message.splitlines()[-1] == MORE.format(count=len(found.differences) - 8)


def test_the_closest_is_the_one_with_the_fewest_hard_differences() -> None:
    models = Candidate(route("/models", method="GET"), recorded({}), "models", "models")
    chat = candidate("chat", {"model": "a"})
    found = match([models, chat], asked({"model": "a"}, url=BASE + "/chat/completion"))
    assert isinstance(found, Miss) and found.closest is chat


def test_nothing_to_match_says_no_endpoint_is_replayed() -> None:
    found = match([], asked({}))
    assert isinstance(found, Miss)
    assert found.message.splitlines()[1] == NO_CANDIDATES


def test_a_boolean_is_not_equal_to_a_number() -> None:
    found = match(
        [candidate("one", {"n": 1}), candidate("true", {"n": True})],
        asked({"n": True}),
    )
    assert isinstance(found, Candidate) and found.label == "true"


_values = st.one_of(st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.none())
_bodies = st.dictionaries(
    st.sampled_from(["model", "max_tokens", "temperature", "user", "n"]), _values
)


@given(st.lists(_bodies, min_size=1, max_size=6), st.data())
def test_a_recorded_request_sent_again_gets_its_own_answer(
    bodies: list[dict[str, Any]], data: st.DataObject
) -> None:
    chosen = data.draw(st.integers(0, len(bodies) - 1))
    candidates = [candidate(str(i), body) for i, body in enumerate(bodies)]
    found = match(candidates, asked(bodies[chosen]))
    assert isinstance(found, Candidate)
    # the first candidate recorded with exactly this body answers
    first_same = next(
        i
        for i, body in enumerate(bodies)
        if orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        == orjson.dumps(bodies[chosen], option=orjson.OPT_SORT_KEYS)
    )
    assert found.label == str(first_same)


def test_a_miss_never_shows_a_secret_query_parameter() -> None:
    secret = Route(
        "acme/chat", "POST", "/v1/chat/completions", route().pattern, False, frozenset({"key"})
    )
    found = match(
        [Candidate(secret, recorded({}), "c", "c")],
        asked({}, url=BASE + "/chat/completions?key=sk-123", method="GET"),
    )
    assert isinstance(found, Miss)
    assert "sk-123" not in found.message
    assert "  query 'key': recorded absent, got (not shown: a secret)" in found.message.splitlines()
