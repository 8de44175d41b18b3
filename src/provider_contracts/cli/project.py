"""Where the command works: the project folder, its contracts and cassettes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..contract.registry import Registry

__all__ = ["Project"]


@dataclass(slots=True)
class Project:
    root: Path
    _registry: Registry | None = field(default=None, repr=False)

    @classmethod
    def at(cls, root: str | None) -> Project:
        if root is not None:
            return cls(Path(root))
        from ..contract.registry import find_root

        return cls(find_root(Path.cwd()))

    @property
    def contracts(self) -> Path:
        return self.root / "contracts"

    @property
    def cassettes(self) -> Path:
        return self.root / "cassettes"

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from ..contract.registry import Registry

            self._registry = Registry.load(self.contracts)
        return self._registry
