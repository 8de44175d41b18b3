"""The README's examples stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()
REPO = Path(__file__).parent.parent


def test_the_plugin_example_passes(pytester: pytest.Pytester) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    pytester.makepyfile(test_example=code)
    result = pytester.runpytest(f"--contracts-root={REPO}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_two_commands_are_there() -> None:
    assert ".venv/bin/contracts verify openrouter" in README
    assert "bash scripts/check" in README
    assert "scripts/check" in (REPO / ".ci" / "run").read_text()
