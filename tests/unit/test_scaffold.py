"""Scaffolding an OpenAI-compatible provider, without the command line: what is written,
that it loads and references the shared shapes, and that bad input or an existing
provider leaves the contracts folder exactly as it was.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provider_contracts import scaffold as sc
from provider_contracts.contract.registry import Registry
from provider_contracts.errors import ContractError, InputError
from provider_contracts.lint import lint
from support.paths import REPO as _REPO

REPO = _REPO
SHARED = REPO / "contracts" / "_shared"


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    """A contracts folder holding only the shared shapes."""
    root = tmp_path / "contracts"
    root.mkdir()
    shutil.copytree(SHARED, root / "_shared")
    return root


def spec(**fields: str | None) -> sc.NewProvider:
    values: dict[str, str | None] = {
        "name": "acme",
        "base_url": "https://llm.acme.dev/v1",
        "key_env": "ACME_API_KEY",
    }
    values.update(fields)
    return sc.NewProvider(**values)  # type: ignore[arg-type]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_scaffolded_provider_loads_with_its_three_endpoints(contracts: Path) -> None:
    done = sc.scaffold(contracts, spec())
    provider = Registry.load(contracts).provider("acme")
    assert sorted(provider.endpoints) == ["chat_completions", "chat_completions_stream", "models"]
    assert (provider.base_url, provider.auth.env) == ("https://llm.acme.dev/v1", "ACME_API_KEY")
    assert (provider.auth.header, provider.auth.scheme) == ("Authorization", "Bearer")
    assert done.folder == contracts / "acme" and len(done.files) == 8
    assert all(path.is_file() for path in done.files)


def test_the_stream_endpoint_is_an_openai_style_data_stream(contracts: Path) -> None:
    sc.scaffold(contracts, spec())
    stream = Registry.load(contracts).endpoint("acme/chat_completions_stream")
    assert stream.stream is not None
    assert (stream.stream.format, stream.stream.terminator) == ("data", "[DONE]")
    assert stream.stream.rules == sc.STREAM_RULES
    assert stream.folds_into is not None and stream.folds_into.rules == sc.CHAT_RULES
    assert stream.error_branch is not None and stream.error_branch.key == "error"


@pytest.mark.parametrize(
    ("schema", "shape"),
    [
        pytest.param("chat_completion", "openai_chat.schema.json#/$defs/ChatCompletion", id="chat"),
        pytest.param(
            "chat_chunk", "openai_chat.schema.json#/$defs/ChatCompletionChunk", id="chunk"
        ),
        pytest.param("models", "openai_models.schema.json#/$defs/ModelList", id="models"),
        pytest.param("error", "openai_chat.schema.json#/$defs/OpenAIError", id="error"),
    ],
)
def test_each_schema_references_its_shared_shape(contracts: Path, schema: str, shape: str) -> None:
    sc.scaffold(contracts, spec())
    doc = json.loads((contracts / "acme" / "schemas" / f"{schema}.schema.json").read_text())
    assert doc["allOf"] == [{"$ref": f"../../_shared/{shape}"}]
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_lint_finds_nothing_wrong_but_the_missing_cassettes(contracts: Path) -> None:
    sc.scaffold(contracts, spec())
    findings, _ = lint(contracts, contracts.parent / "cassettes")
    assert [f.message for f in findings] == [
        f"acme/{name} has no cassette; record one with `contracts record acme --endpoint {name}`"
        for name in sc.ENDPOINT_NAMES
    ]


def test_a_custom_auth_header_without_scheme_is_sent_bare_and_redacted(contracts: Path) -> None:
    sc.scaffold(contracts, spec(auth_header="x-api-key", auth_scheme=None, title="Acme LLM"))
    provider = Registry.load(contracts).provider("acme")
    assert (provider.auth.header, provider.auth.scheme, provider.title) == (
        "x-api-key",
        None,
        "Acme LLM",
    )
    assert provider.redact["headers"][0] == "x-api-key"
    assert "Authorization" in provider.redact["headers"]


def test_the_model_given_goes_into_both_chat_probes(contracts: Path) -> None:
    done = sc.scaffold(contracts, spec(model="acme-mini"))
    registry = Registry.load(contracts)
    for name in ("chat_completions", "chat_completions_stream"):
        assert registry.endpoint(f"acme/{name}").probe["json"]["model"] == "acme-mini"
    assert done.model_is_placeholder is False


def test_without_a_model_the_probes_carry_a_placeholder_to_set(contracts: Path) -> None:
    done = sc.scaffold(contracts, spec())
    probe = Registry.load(contracts).endpoint("acme/chat_completions").probe
    assert probe["json"]["model"] == sc.PLACEHOLDER_MODEL
    assert done.model_is_placeholder is True


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "http://localhost:8000/v1", "http://[::1]:8000/v1"]
)
def test_cleartext_http_is_accepted_only_to_this_machine(url: str) -> None:
    assert sc.check_base_url(url) is None
    assert sc.check_base_url(url.replace("http://", "https://")) is None


def test_a_trailing_slash_on_the_base_url_is_dropped(contracts: Path) -> None:
    sc.scaffold(contracts, spec(base_url="http://127.0.0.1:8000/v1/"))
    assert Registry.load(contracts).provider("acme").base_url == "http://127.0.0.1:8000/v1"


def test_an_existing_provider_folder_is_refused_and_left_untouched(contracts: Path) -> None:
    folder = contracts / "acme"
    folder.mkdir()
    (folder / "provider.yaml").write_text("title: mine\n")
    before = snapshot(contracts)
    with pytest.raises(InputError) as caught:
        sc.scaffold(contracts, spec())
    assert str(caught.value).startswith(f"{folder} already exists;")
    assert snapshot(contracts) == before
    assert sorted(p.name for p in contracts.iterdir()) == ["_shared", "acme"]


BAD = [
    pytest.param("name", "Acme", id="name with a capital"),
    pytest.param("name", "_shared", id="name of the shared folder"),
    pytest.param("name", ".hidden", id="hidden name"),
    pytest.param("name", "../escape", id="name with a path"),
    pytest.param("name", "", id="empty name"),
    pytest.param("base_url", "ftp://llm.acme.dev", id="ftp URL"),
    pytest.param("base_url", "llm.acme.dev/v1", id="URL without scheme"),
    pytest.param("base_url", "https://", id="URL without host"),
    pytest.param("base_url", "https://llm.acme.dev:port/v1", id="URL with a bad port"),
    pytest.param("base_url", "https://llm acme.dev", id="URL with a space"),
    pytest.param("base_url", "HTTPS://llm.acme.dev", id="URL with an upper-case scheme"),
    pytest.param("base_url", "https://llm.acme.dev/v1?key=x", id="URL with a query"),
    pytest.param("base_url", "http://llm.acme.dev/v1", id="cleartext URL to another machine"),
    pytest.param(
        "base_url", "http://127.0.0.1.nip.io/v1", id="cleartext URL to a loopback look-alike"
    ),
    pytest.param("key_env", "acme_api_key", id="lower-case variable"),
    pytest.param("key_env", "ACME-API-KEY", id="variable with dashes"),
    pytest.param("key_env", "1ACME", id="variable starting with a digit"),
    pytest.param("key_env", "ACME__KEY", id="variable with a double underscore"),
    pytest.param("auth_header", "x api key", id="header with spaces"),
    pytest.param("auth_header", "x-api-key:", id="header with a colon"),
    pytest.param("auth_scheme", "Bearer token", id="scheme of two words"),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_bad_input_is_refused_before_anything_is_written(
    contracts: Path, field: str, value: str
) -> None:
    before = snapshot(contracts)
    with pytest.raises(InputError) as caught:
        sc.scaffold(contracts, spec(**{field: value}))
    assert str(caught.value) == f"{field}: {sc.CHECKS[field](value)}"
    assert snapshot(contracts) == before
    assert [p.name for p in contracts.iterdir()] == ["_shared"]


@pytest.mark.parametrize(
    "shapes", ["openai_chat.schema.json", "openai_models.schema.json"], ids=["chat", "models"]
)
def test_missing_shared_shapes_are_refused(contracts: Path, shapes: str) -> None:
    (contracts / "_shared" / shapes).unlink()
    with pytest.raises(ContractError, match=f"{shapes} is missing"):
        sc.scaffold(contracts, spec())
    assert not (contracts / "acme").exists()


def test_a_missing_contracts_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="no contracts/ folder here"):
        sc.scaffold(tmp_path / "nowhere", spec())
    assert not (tmp_path / "nowhere").exists()


def test_the_plan_is_the_same_for_the_same_input() -> None:
    assert sc.files_for(spec()) == sc.files_for(spec())


# --- properties -------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(title=TEXT, model=TEXT)
def test_any_title_and_model_read_back_exactly(title: str, model: str) -> None:
    files = sc.files_for(spec(title=title, model=model))
    manifest = yaml.safe_load(files["provider.yaml"])
    chat = yaml.safe_load(files["endpoints/chat_completions.yaml"])
    assert manifest["title"] == title
    assert chat["probe"]["json"]["model"] == model


NAMES = st.text(st.sampled_from("abcxyz019_-A.!/ "), min_size=1, max_size=12)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES)
def test_a_name_is_accepted_exactly_when_it_becomes_a_loadable_provider(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        contracts = Path(folder) / "contracts"
        shutil.copytree(SHARED, contracts / "_shared")
        try:
            sc.scaffold(contracts, spec(name=name))
        except InputError:
            assert sc.check_name(name) is not None
            assert [p.name for p in contracts.iterdir()] == ["_shared"]
            return
        assert Registry.load(contracts).provider(name).endpoints
        assert sorted(p.name for p in contracts.iterdir()) == sorted(["_shared", name])


URLS = st.text(max_size=30) | st.from_regex(r"(?i)https?://[a-z0-9.]{1,10}(:[0-9]{1,5})?/v1/?")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(url=URLS)
def test_an_accepted_base_url_gives_a_provider_the_registry_loads(url: str) -> None:
    if sc.check_base_url(url) is not None:
        return
    with tempfile.TemporaryDirectory() as folder:
        contracts = Path(folder) / "contracts"
        shutil.copytree(SHARED, contracts / "_shared")
        sc.scaffold(contracts, spec(base_url=url))
        assert Registry.load(contracts).provider("acme").base_url == url.rstrip("/")
