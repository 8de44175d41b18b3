"""Renderers of one `VerifyResult`: text for people, JSON for machines (and the gate),
JUnit XML for CI test viewers, Markdown for job summary pages.

Each renderer is a function `render(result) -> str`; `RENDERERS` maps format names to
them, for `--format` and `--report FORMAT:PATH`, each wrapped so that what it renders
passes through the key masker (`cassettes.mask`): a last line of defence, since the
live paths mask at the source.

May import: verify and every room below it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cassettes.mask import Masker
from ..verify.offline import VerifyResult
from . import json, junit, markdown, text

__all__ = ["RENDERERS", "Renderer"]

Renderer = Callable[[VerifyResult], str]


def _masked(render: Renderer) -> Renderer:
    masker = Masker()

    def masked(result: VerifyResult) -> str:
        return masker.text(render(result))

    return masked


RENDERERS: dict[str, Renderer] = {
    name: _masked(render)
    for name, render in (
        ("text", text.render),
        ("json", json.render),
        ("junit", junit.render),
        ("markdown", markdown.render),
    )
}
