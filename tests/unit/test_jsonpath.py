"""Dotted JSON paths, as the contracts write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_contracts import jsonpath


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("id", ("id",)),
        ("choices[].message.content", ("choices", None, "message", "content")),
        ("data[0].id", ("data", 0, "id")),
        ("a[][]", ("a", None, None)),
    ],
    ids=["field", "every-element", "one-element", "nested-lists"],
)
def test_paths_are_read(text: str, tokens: tuple[jsonpath.Token, ...]) -> None:
    assert jsonpath.parse(text) == tokens


@pytest.mark.parametrize("text", ["", ".a", "a.", "a..b", "[0]", "a[x]", "a]"], ids=repr)
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read the path"):
        jsonpath.parse(text)


def test_get_follows_fields_and_indexes() -> None:
    value = {"data": [{"id": "evt_1"}, {"id": "evt_2"}]}
    assert jsonpath.get(value, jsonpath.parse("data[1].id")) == "evt_2"


@pytest.mark.parametrize("text", ["data[2].id", "data.id", "nothing", "data[0].id.x"], ids=repr)
def test_get_says_missing_when_the_path_leads_nowhere(text: str) -> None:
    assert jsonpath.get({"data": [{"id": "e"}]}, jsonpath.parse(text)) is jsonpath.MISSING


NAMES = st.text(alphabet="abcxyz_0123456789-", min_size=1, max_size=6)


@given(st.lists(st.one_of(NAMES, st.none(), st.integers(0, 9)), max_size=5), NAMES)
def test_written_paths_read_back(rest: list[jsonpath.Token], first: str) -> None:
    tokens = (first, *rest)
    text = first + "".join(
        "[]" if t is None else f"[{t}]" if isinstance(t, int) else f".{t}" for t in rest
    )
    assert jsonpath.parse(text) == tokens
