"""Renderers of one `VerifyResult`: text for people, JSON for machines (and the gate),
JUnit XML for CI test viewers, Markdown for job summary pages.

Each renderer is a function `render(result) -> str` in its own module; `RENDERERS` maps
format names to them, for `--format` and `--report FORMAT:PATH`, and imports a
renderer's module when it is first asked for (a `verify` that prints text never loads
the XML library JUnit needs). Each comes wrapped so that what it renders passes through
the key masker (`cassettes.mask`): a last line of defence, since the live paths mask at
the source.

May import: verify and every room below it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

from ..cassettes.mask import Masker

if TYPE_CHECKING:
    from ..verify.offline import VerifyResult

__all__ = ["RENDERERS", "Renderer"]

Renderer = Callable[["VerifyResult"], str]

_MODULES = {"text": "text", "json": "json", "junit": "junit", "markdown": "markdown"}


class _Renderers(Mapping[str, Renderer]):
    """Format name -> `render`, each module imported on first use."""

    def __getitem__(self, fmt: str) -> Renderer:
        render: Renderer = import_module(f"{__name__}.{_MODULES[fmt]}").render
        masker = Masker()

        def masked(result: VerifyResult) -> str:
            return masker.text(render(result))

        return masked

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


RENDERERS: Mapping[str, Renderer] = _Renderers()
