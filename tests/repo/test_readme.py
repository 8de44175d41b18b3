"""The README's examples stay true."""

from __future__ import annotations

import re

import pytest

from support.paths import REPO as _REPO

README = (_REPO / "README.md").read_text()
REPO = _REPO


def test_the_plugin_example_passes(pytester: pytest.Pytester) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    pytester.makepyfile(test_example=code)
    result = pytester.runpytest(f"--contracts-root={REPO}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_two_commands_are_there() -> None:
    assert ".venv/bin/contracts verify openrouter" in README
    assert "bash scripts/check" in README
    assert "scripts/check" in (REPO / ".ci" / "run").read_text()
