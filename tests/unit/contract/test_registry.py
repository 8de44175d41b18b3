from __future__ import annotations

from pathlib import Path

import pytest

from provider_contracts.contract.registry import Registry
from provider_contracts.errors import ContractError, UnknownName


def test_providers_and_endpoints_load_from_the_folder(sample: Path) -> None:
    registry = Registry.load(sample / "contracts")
    assert registry.names == ["acme", "beta"]
    assert registry.endpoint_ids() == ["acme/chat", "acme/chat_stream", "beta/messages_stream"]
    chat = registry.endpoint("acme/chat")
    assert (chat.method, chat.path, chat.id) == ("POST", "/chat/completions", "acme/chat")
    assert registry.provider("acme").auth.env == "ACME_API_KEY"


def test_status_lookup_prefers_the_exact_code_then_the_class_then_default(sample: Path) -> None:
    chat = Registry.load(sample / "contracts").endpoint("acme/chat")
    assert chat.schema_for(200) is not None and chat.schema_for(200).file.endswith(
        "completion.schema.json"
    )
    assert chat.schema_for(429) == chat.responses["4XX"]
    assert chat.schema_for(500) is None


def test_manifest_volatile_paths_come_before_the_endpoints_own(sample: Path) -> None:
    chat = Registry.load(sample / "contracts").endpoint("acme/chat")
    assert chat.volatile == ("id", "created", "choices[].message.content")


def test_a_misspelt_provider_gets_a_suggestion(sample: Path) -> None:
    with pytest.raises(UnknownName, match=r"unknown provider 'acne' \(did you mean 'acme'\?\)"):
        Registry.load(sample / "contracts").provider("acne")


def test_a_misspelt_endpoint_gets_a_suggestion(sample: Path) -> None:
    with pytest.raises(UnknownName, match=r"did you mean 'acme/chat_stream'"):
        Registry.load(sample / "contracts").endpoint("acme/chat_strem")


def test_select_keeps_the_order_given_without_duplicates(sample: Path) -> None:
    registry = Registry.load(sample / "contracts")
    chosen = registry.select(["beta", "acme/chat", "acme"])
    assert [e.id for e in chosen] == ["beta/messages_stream", "acme/chat", "acme/chat_stream"]


def test_a_broken_provider_does_not_stop_another(sample: Path) -> None:
    (sample / "contracts" / "beta" / "provider.yaml").write_text("title: [")
    registry = Registry.load(sample / "contracts")
    assert registry.provider("acme").title == "Acme AI"
    with pytest.raises(ContractError, match=r"beta/provider.yaml:\d+: not valid YAML"):
        registry.provider("beta")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("base_url: https://x\nauth: {env: K, header: H}\n", "missing required field 'title'"),
        ("title: T\nbase_url: https://x\nauth: {header: H}\n", "missing required field 'auth.env'"),
        (
            "title: T\nbase_url: ftp://x\nauth: {env: K, header: H}\n",
            "'base_url' must start with http",
        ),
        (
            "title: [T]\nbase_url: https://x\nauth: {env: K, header: H}\n",
            "'title' must be a string",
        ),
        ("- a list\n", "the file must be a mapping"),
        (
            "title: T\nbase_url: https://x\nauth: {env: K, header: H}\nvolatile: [1]\n",
            "'volatile' must be a list of strings",
        ),
        (
            "title: T\nbase_url: https://x\nauth: {env: K, header: H}\nmax_age: 90\n",
            "'max_age' must be a duration such as 90d or 12h, not 90",
        ),
        (
            "title: T\nbase_url: https://x\nauth: {env: K, header: H}\nmax_ages: 90d\n",
            "unknown field 'max_ages' \\(did you mean 'max_age'\\?\\)",
        ),
    ],
    ids=[
        "no-title",
        "no-auth-env",
        "bad-url",
        "title-list",
        "not-mapping",
        "volatile-ints",
        "max-age-without-unit",
        "max-age-misspelt",
    ],
)
def test_manifest_problems_name_the_file_and_field(
    sample: Path, yaml_text: str, message: str
) -> None:
    (sample / "contracts" / "acme" / "provider.yaml").write_text(yaml_text)
    with pytest.raises(ContractError, match=message) as info:
        Registry.load(sample / "contracts").provider("acme")
    assert "acme/provider.yaml" in str(info.value)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("method: POST", "method: FETCH", "'method' must be an HTTP method"),
        ("path: /chat/completions", "path: chat", "'path' must start with '/'"),
        ('"4XX": schemas/error.schema.json', '"4XY": schemas/error.schema.json', "is not a status"),
        ("schemas/completion.schema.json", "schemas/nope.schema.json", "which does not exist"),
        (
            "schemas/completion.schema.json",
            "../../../x.json",
            "points outside the contracts folder",
        ),
        ("description: A chat completion.\n", "", "missing required field 'description'"),
    ],
    ids=["method", "path", "status-key", "missing-schema", "outside-root", "no-description"],
)
def test_endpoint_contract_problems_name_the_file_and_field(
    sample: Path, replace: str, by: str, message: str
) -> None:
    path = sample / "contracts" / "acme" / "endpoints" / "chat.yaml"
    path.write_text(path.read_text().replace(replace, by))
    with pytest.raises(ContractError, match=message) as info:
        Registry.load(sample / "contracts").provider("acme")
    assert "acme/endpoints/chat.yaml" in str(info.value)


def test_an_unknown_stream_rule_names_the_closest_one(sample: Path) -> None:
    path = sample / "contracts" / "acme" / "endpoints" / "chat_stream.yaml"
    path.write_text(path.read_text().replace("usage_chunk_last", "usage_first"))
    with pytest.raises(
        ContractError,
        match=r"unknown rule 'usage_first' \(did you mean 'usage_chunk_last'\?\); see contracts/README",
    ):
        Registry.load(sample / "contracts").provider("acme")


def test_a_provider_folder_without_manifest_says_how_to_make_one(sample: Path) -> None:
    (sample / "contracts" / "gamma").mkdir()
    with pytest.raises(ContractError, match=r"no provider.yaml.*contracts new gamma"):
        Registry.load(sample / "contracts").provider("gamma")


def test_a_missing_contracts_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="no contracts/ folder here"):
        Registry.load(tmp_path / "contracts")


def test_an_error_body_is_an_object_with_the_error_branch_key(sample: Path) -> None:
    registry = Registry.load(sample / "contracts")
    chat = registry.endpoint("acme/chat")
    assert chat.error_branch is not None
    key = chat.error_branch.key
    assert chat.is_error_body({key: {"message": "no"}})
    assert not chat.is_error_body({"id": "x"})
    assert not chat.is_error_body([{key: 1}])
    assert not chat.is_error_body(None)


@pytest.mark.parametrize(
    ("written", "days"), [("90d", 90.0), ("12h", 0.5), ("1d12h", 1.5)], ids=lambda v: str(v)
)
def test_a_providers_max_age_is_read_as_a_duration(sample: Path, written: str, days: float) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text() + f"max_age: {written}\n")
    max_age = Registry.load(sample / "contracts").provider("acme").max_age
    assert max_age is not None and max_age.total_seconds() == days * 86400


def test_a_provider_without_max_age_has_none(sample: Path) -> None:
    assert Registry.load(sample / "contracts").provider("acme").max_age is None
