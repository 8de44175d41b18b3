"""Renderers of one `VerifyResult`: text for people, JSON for machines (and the gate),
JUnit XML for CI test viewers, Markdown for job summary pages.

Each renderer is a function `render(result) -> str`; `RENDERERS` maps format names to
them, for `--format` and `--report FORMAT:PATH`.

May import: verify and every room below it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..verify.offline import VerifyResult
from . import json, junit, markdown, text

__all__ = ["RENDERERS", "Renderer"]

Renderer = Callable[[VerifyResult], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "junit": junit.render,
    "markdown": markdown.render,
}
