"""Shared fixtures: a private copy of the sample project, and the CLI run in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from provider_contracts.cli import cli
from support.paths import DATA as _DATA
from support.paths import REPO as _REPO

pytest_plugins = ["pytester"]

DATA = _DATA
REPO = _REPO


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A writable copy of tests/data/sample: providers `acme` (JSON + data stream) and `beta` (typed stream)."""
    root = tmp_path / "project"
    shutil.copytree(DATA / "sample", root)
    return root


@pytest.fixture
def run(sample: Path) -> Callable[..., Result]:
    """Run `contracts --root SAMPLE ARGS...` in-process; stdout and stderr kept apart."""

    def invoke(*args: str, root: Path | None = None, input: str | bytes | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--root", str(root or sample), *args], input=input, prog_name="contracts"
        )

    return invoke
