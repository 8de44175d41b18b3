"""The consumer model: its file read strictly, merged honestly, written to review as a diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider_contracts.consumers.model import (
    Consumer,
    Observation,
    Read,
    consumer_names,
    dump,
    load,
    merge,
    parse,
)
from provider_contracts.contract.registry import Registry
from provider_contracts.errors import ContractError, InputError
from support.paths import SAMPLE

FILE = Path("contracts/consumers/app.yaml")


def consumer(**endpoints: dict[str, Read]) -> Consumer:
    return Consumer("app", {k.replace("__", "/"): v for k, v in endpoints.items()}, FILE)


def test_a_written_consumer_reads_back_the_same() -> None:
    before = consumer(
        acme__chat={
            "usage.total_tokens": Read(True, ("integer",), (), ("t.py::a",), True),
            "choices[].finish_reason": Read(False, (), ("length", "stop")),
        }
    )
    text = dump(before)
    assert text.startswith("# What app reads")
    assert "types: [integer]" in text
    import yaml

    assert parse(yaml.safe_load(text), "app", FILE) == before


def test_an_entry_may_be_written_bare_and_means_present() -> None:
    parsed = parse({"endpoints": {"acme/chat": {"usage.total_tokens": None}}}, "app", FILE)
    assert parsed.reads("acme/chat") == {"usage.total_tokens": Read()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "must be a mapping with `endpoints`"),
        ({"endpoints": {}, "owner": "x"}, "field 'owner' is not a consumer file field"),
        ({"consumer": "other"}, "field 'consumer' says 'other', but the file is named 'app'"),
        ({"endpoints": {"chat": {}}}, "field 'chat' is not a PROVIDER/ENDPOINT id"),
        ({"endpoints": {"acme/chat": {"a..b": None}}}, "acme/chat 'a..b' is not a drift path"),
        ({"endpoints": {"acme/chat": {"a": {"type": "x"}}}}, "'acme/chat a: type' is not a read"),
        ({"endpoints": {"acme/chat": {"a": {"types": ["text"]}}}}, "must list JSON types"),
        ({"endpoints": {"acme/chat": {"a": {"values": [{}]}}}}, "must list the scalar values"),
        ({"endpoints": {"acme/chat": {"a": {"present": "yes"}}}}, "must be true or false"),
    ],
    ids=[
        "not a mapping",
        "unknown field",
        "wrong name",
        "bad endpoint id",
        "bad path",
        "unknown read field",
        "unknown type",
        "non-scalar value",
        "non-boolean",
    ],
)
def test_a_broken_file_is_one_line_naming_the_file_and_the_place(
    data: object, message: str
) -> None:
    with pytest.raises(ContractError) as caught:
        parse(data, "app", FILE)
    assert str(caught.value).startswith("contracts/consumers/app.yaml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def write(root: Path, text: str) -> Path:
    folder = root / "contracts" / "consumers"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.yaml").write_text(text)
    return root / "contracts"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "endpoints: {acme/chatt: {id: }}",
            "unknown endpoint 'acme/chatt' (did you mean 'acme/chat'?)",
        ),
        (
            "endpoints: {acme/chat: {usage.total_tokens.value: }}",
            "acme/chat usage.total_tokens.value: no schema of this endpoint can have this "
            "path (usage.total_tokens is integer, never an object)",
        ),
        (
            "endpoints:\n  acme/chat_stream:\n    events[chat.completion.chunk].id[]:\n",
            "(id is string, never an array)",
        ),
    ],
    ids=["unknown endpoint", "impossible path", "impossible event path"],
)
def test_a_consumer_is_checked_against_the_contracts(
    tmp_path: Path, text: str, message: str
) -> None:
    contracts = write(tmp_path, text)
    with pytest.raises(ContractError, match=r"app\.yaml: ") as caught:
        load(contracts, "app", Registry.load(SAMPLE / "contracts"))
    assert message in str(caught.value)


def test_an_absent_consumer_says_how_to_learn_it(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r"pytest --contracts-learn=app"):
        load(tmp_path, "app")
    with pytest.raises(InputError, match="not a consumer name"):
        load(tmp_path, "../app")


def test_consumer_names_are_the_files_in_the_folder(tmp_path: Path) -> None:
    assert consumer_names(tmp_path) == []
    assert consumer_names(write(tmp_path, "")) == ["app"]


def seen(path: str, relies: str, test: str = "t.py::a", **kw: object) -> Observation:
    return Observation("acme/chat", path, relies, test, **kw)  # type: ignore[arg-type]


def test_merging_unions_what_each_test_showed() -> None:
    merged = merge(
        consumer(),
        [
            seen("usage.total_tokens", "present"),
            seen("usage.total_tokens", "type", "t.py::b", types=("integer",)),
            seen("choices[].finish_reason", "values", values=("stop",)),
        ],
        ["t.py::a", "t.py::b"],
    )
    reads = merged.reads("acme/chat")
    assert reads["usage.total_tokens"] == Read(True, ("integer",), (), ("t.py::a", "t.py::b"), True)
    assert reads["choices[].finish_reason"] == Read(False, (), ("stop",), ("t.py::a",), True)


def test_merging_keeps_hand_written_entries_untouched() -> None:
    hand = Read(False, ("string",))
    merged = merge(consumer(acme__chat={"id": hand}), [seen("id", "present")], ["t.py::a"])
    assert merged.reads("acme/chat") == {"id": hand}


def test_merging_drops_a_learned_entry_only_when_all_its_tests_ran_again() -> None:
    before = consumer(
        acme__chat={
            "id": Read(tests=("t.py::a",), learned=True),
            "model": Read(tests=("t.py::a", "t.py::other"), learned=True),
        }
    )
    merged = merge(before, [], ["t.py::a"])
    assert merged.reads("acme/chat") == {"model": Read(tests=("t.py::other",), learned=True)}
    assert merge(before, [], ["t.py::a", "t.py::other"]).endpoints == {}
