from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider_contracts.contract.registry import Registry, SchemaRef
from provider_contracts.contract.schemas import SchemaStore, iter_refs, store_for
from provider_contracts.errors import ContractError


def test_refs_across_files_resolve_from_the_contracts_folder(sample: Path) -> None:
    store = SchemaStore(sample / "contracts")
    chat = Registry.load(sample / "contracts").endpoint("acme/chat")
    validator = store.validator(chat.responses["200"])
    body = {"id": "x", "object": "chat.completion", "choices": [], "usage": {"total_tokens": -1}}
    assert not validator.is_valid(body)  # minimum comes from _shared/common.schema.json
    body["usage"] = {"total_tokens": 3}
    assert validator.is_valid(body) is False  # minItems: 1 on choices
    body["choices"] = [{"message": {"role": "assistant", "content": None}, "finish_reason": "stop"}]
    assert validator.is_valid(body)


def test_validators_are_compiled_once(sample: Path) -> None:
    store = SchemaStore(sample / "contracts")
    ref = SchemaRef(sample / "contracts", "acme/schemas/error.schema.json", "")
    assert store.validator(ref) is store.validator(ref)


def test_store_for_is_shared_per_root(sample: Path) -> None:
    assert store_for(sample / "contracts") is store_for(sample / "contracts" / ".." / "contracts")


def _write(sample: Path, name: str, doc: object) -> SchemaRef:
    path = sample / "contracts" / "acme" / "schemas" / name
    path.write_text(json.dumps(doc))
    return SchemaRef(sample / "contracts", f"acme/schemas/{name}", "")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"$ref": "../../_shared/common.schema.json#/$defs/Nope"}, "Nope"),
        ({"$ref": "missing.schema.json"}, "does not exist under contracts/"),
        ({"$ref": "https://example.com/schema.json"}, "no network lookups"),
        ({"$ref": "../../../../etc/passwd"}, "does not exist under contracts/"),
        ({"type": "objectx"}, "cannot be used"),
    ],
    ids=["dangling-pointer", "missing-file", "network", "escape-root", "invalid-keyword"],
)
def test_unusable_schemas_are_contract_errors_naming_the_file(
    sample: Path, doc: object, message: str
) -> None:
    ref = _write(sample, "broken.schema.json", doc)
    with pytest.raises(ContractError, match=message) as info:
        SchemaStore(sample / "contracts").validator(ref)
    assert "broken.schema.json" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "the file is empty"), ("{", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
    ids=["empty", "syntax", "array"],
)
def test_schema_files_that_are_not_schemas_are_refused(
    sample: Path, text: str, message: str
) -> None:
    path = sample / "contracts" / "acme" / "schemas" / "bad.schema.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=message):
        SchemaStore(sample / "contracts").document("acme/schemas/bad.schema.json")


def test_iter_refs_finds_every_ref_but_none_inside_values() -> None:
    doc = {
        "a": {"$ref": "#/x"},
        "b": [{"$ref": "y.json"}],
        "const": {"$ref": "not a ref"},
        "p/q": {"$ref": "z"},
    }
    assert list(iter_refs(doc)) == [
        ("/a/$ref", "#/x"),
        ("/b/0/$ref", "y.json"),
        ("/p~1q/$ref", "z"),
    ]
