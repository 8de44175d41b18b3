from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider_contracts.lint import lint


def _messages(sample: Path) -> list[str]:
    findings, _ = lint(sample / "contracts", sample / "cassettes")
    return [str(f) for f in findings]


def test_the_sample_project_is_clean(sample: Path) -> None:
    assert _messages(sample) == []


def _edit_schema(sample: Path, name: str, change: dict[str, object]) -> None:
    path = sample / "contracts" / "acme" / "schemas" / name
    doc = json.loads(path.read_text())
    doc.update(change)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, '"$schema" must be'),
        ({"$id": "https://x/y"}, 'remove "$id"'),
        ({"type": "objectx"}, "not a valid Draft 2020-12 schema at /type"),
        (
            {"properties": {"a": {"$ref": "#/$defs/Missing"}}},
            "/properties/a/$ref: $ref '#/$defs/Missing' does not resolve",
        ),
        (
            {"$defs": {"X": {"$ref": "nope.schema.json"}}},
            "/$defs/X/$ref: $ref 'nope.schema.json' does not resolve",
        ),
        (
            {"$defs": {"X": {"$ref": "https://example.com/s.json"}}},
            "does not resolve (https://example.com/s.json is not a file under contracts/",
        ),
    ],
    ids=["old-draft", "has-id", "meta-schema", "dangling-pointer", "missing-file", "network-ref"],
)
def test_schema_problems_are_found(sample: Path, change: dict[str, object], expected: str) -> None:
    _edit_schema(sample, "error.schema.json", change)
    found = _messages(sample)
    assert any(expected in m and "error.schema.json" in m for m in found), found


@pytest.mark.parametrize(
    "text",
    ["{oops", '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "objectx"}'],
    ids=["not-json", "meta-schema"],
)
def test_a_broken_schema_file_is_one_problem(sample: Path, text: str) -> None:
    (sample / "contracts" / "acme" / "schemas" / "error.schema.json").write_text(text)
    found = _messages(sample)
    assert len(found) == 1, found


def test_every_problem_is_reported_not_only_the_first(sample: Path) -> None:
    _edit_schema(sample, "error.schema.json", {"$id": "x", "type": "objectx"})
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    assert len(_messages(sample)) >= 3


def test_an_endpoint_without_a_cassette_is_reported(sample: Path) -> None:
    (sample / "cassettes" / "beta" / "messages_stream.json").unlink()
    (message,) = _messages(sample)
    assert "beta/messages_stream has no cassette" in message
    assert "contracts record beta --endpoint messages_stream" in message


def test_a_cassette_without_a_contract_is_reported(sample: Path) -> None:
    (sample / "cassettes" / "acme" / "embeddings.json").write_text("{}")
    (message,) = _messages(sample)
    assert "no contract acme/embeddings for this cassette" in message


def test_an_unreadable_cassette_is_reported(sample: Path) -> None:
    (sample / "cassettes" / "acme" / "chat.json").write_text("not json")
    (message,) = _messages(sample)
    assert "chat.json: not a JSON cassette" in message


def test_a_broken_manifest_is_reported_and_the_rest_still_checked(sample: Path) -> None:
    (sample / "contracts" / "beta" / "provider.yaml").write_text("title: B\n")
    (sample / "cassettes" / "acme" / "chat.json").write_text("")
    found = _messages(sample)
    assert any("beta/provider.yaml: missing required field" in m for m in found)
    assert not any("no contract beta/" in m for m in found)
    assert any("chat.json: the cassette is empty" in m for m in found)


def test_a_contract_whose_schema_pointer_dangles_is_reported(sample: Path) -> None:
    path = sample / "contracts" / "acme" / "endpoints" / "chat_stream.yaml"
    path.write_text(path.read_text().replace("$defs/Chunk", "$defs/Chunks"))
    found = _messages(sample)
    assert any("common.schema.json#/$defs/Chunks cannot be used" in m for m in found), found


@pytest.mark.parametrize(
    ("defs", "loops"),
    [
        ({"Loop": {"$ref": "#/$defs/Loop"}}, True),
        ({"A": {"$ref": "#/$defs/B", "description": "d"}, "B": {"$ref": "#/$defs/A"}}, True),
        ({"A": {"$ref": "#/$defs/B"}, "B": {"type": "object"}}, False),
        # recursion through a constraint is a real schema (a tree), not a loop
        ({"Loop": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Loop"}}}}, False),
    ],
    ids=["self", "two-step", "chain-to-a-schema", "recursive-tree"],
)
def test_a_ref_loop_that_never_reaches_a_constraint_is_found(
    sample: Path, defs: dict[str, object], loops: bool
) -> None:
    _edit_schema(
        sample,
        "error.schema.json",
        {"$defs": defs, "properties": {"e": {"$ref": f"#/$defs/{next(iter(defs))}"}}},
    )
    found = [m for m in _messages(sample) if "without reaching a constraint" in m]
    assert bool(found) == loops, found
    if loops:
        assert "error.schema.json: /properties/e/$ref: $ref '#/$defs/" in found[0]
        assert "so it accepts anything" in found[0]


def test_a_cassette_over_the_limit_is_reported(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provider_contracts import lint as lint_module

    monkeypatch.setattr(lint_module, "CASSETTE_LIMIT", 1024)
    found = _messages(sample)
    assert any(
        m.endswith(
            "chat.json: 0 MiB, over the 1 KiB a committed cassette may be; record fewer or smaller answers"
        )
        or "over the 1 KiB a committed cassette may be" in m
        for m in found
    ), found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- {endpoint: '*', finding: '*', reason: r, who: w, expires: 2026-12-01}\n",
            "are both wildcards",
        ),
        (
            "- {endpoint: acme/chat, finding: /x, reason: r, who: w, expires: 9999-12-31}\n",
            "expires 9999-12-31, more than 365 days from today",
        ),
        ("- endpoint: acme/chat\n  endpoint: acme/chat\n", "key 'endpoint' given twice"),
    ],
    ids=["wildcards", "beyond-the-horizon", "duplicate-key"],
)
def test_waivers_the_gate_would_refuse_are_lint_problems(
    sample: Path, text: str, expected: str
) -> None:
    (sample / "contracts" / "waivers.yaml").write_text(text)
    found = _messages(sample)
    assert len(found) == 1 and "waivers.yaml" in found[0] and expected in found[0], found
