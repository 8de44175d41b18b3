from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider_contracts.errors import NO_CONTRACTS, ContractError
from provider_contracts.project import (
    configure,
    current,
    find_root,
    project,
    unconfigure,
)


def test_a_project_is_loaded_once_per_root(sample: Path) -> None:
    assert project(sample) is project(sample / ".")
    assert project(sample).cassettes == sample.resolve() / "cassettes"


def test_find_root_walks_up_to_the_folder_with_contracts(sample: Path) -> None:
    assert find_root(sample / "cassettes" / "acme") == sample.resolve()
    assert find_root(Path("/")) == Path("/")


def test_a_folder_without_contracts_says_how_to_name_one(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as caught:
        project(tmp_path)
    assert str(caught.value) == NO_CONTRACTS.format(where=str(tmp_path.resolve() / "contracts"))


def test_the_configured_root_wins_until_it_is_unconfigured(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACTS_ROOT", str(tmp_path / "elsewhere"))
    configure(sample)
    try:
        assert current().root == sample.resolve()
    finally:
        unconfigure()
    assert current().root != sample.resolve()


def _root_in_a_fresh_process(cwd: Path, environ: dict[str, str]) -> str:
    """`current().root` as a process that configured nothing sees it (this session's
    plugin has configured a root of its own, so ask another process)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from provider_contracts.project import current; print(current().root)",
        ],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_contracts_root_in_the_environment_is_the_default_when_nothing_is_configured(
    sample: Path, tmp_path: Path
) -> None:
    environ = {**os.environ, "CONTRACTS_ROOT": str(sample)}
    assert _root_in_a_fresh_process(tmp_path, environ) == str(sample.resolve())


def test_without_configuration_or_environment_the_root_is_found_from_the_working_folder(
    sample: Path,
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "CONTRACTS_ROOT"}
    assert _root_in_a_fresh_process(sample / "cassettes", environ) == str(sample.resolve())
