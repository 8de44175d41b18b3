"""The project: the folder holding `contracts/` and `cassettes/`, and its registry.

Owns: where the root is (an explicit `--root` / `--contracts-root`, else `$CONTRACTS_ROOT`,
else the nearest folder at or above the working folder that holds `contracts/`), the one
message for a root without `contracts/`, and the per-process cache that the pytest plugin
and `assert_contract` share (loading once per process keeps each test's cost to its
lookups). The CLI makes one `Project` per command; its registry loads on first use, so
`contracts --help` never reads a manifest.

May import: errors, files, contract.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .contract.registry import Registry
from .errors import NO_CONTRACTS, ContractError
from .files import display

__all__ = ["PACKAGED", "Project", "configure", "current", "find_root", "project", "unconfigure"]

# The contracts and cassettes shipped inside the package (copies in a wheel; links to the
# repository's folders in a checkout): what a gateway that pip-installs it replays.
PACKAGED = Path(__file__).resolve().parent / "data"


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds a `contracts/` folder (else `start`)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "contracts").is_dir():
            return folder
    return start


@dataclass(slots=True)
class Project:
    root: Path
    _registry: Registry | None = field(default=None, repr=False, compare=False)

    @classmethod
    def at(cls, root: str | Path | None) -> Project:
        """The project at `root`, or the nearest one at or above the working folder."""
        return cls(Path(root) if root is not None else find_root(Path.cwd()))

    @property
    def contracts(self) -> Path:
        return self.root / "contracts"

    @property
    def cassettes(self) -> Path:
        return self.root / "cassettes"

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry.load(self.contracts)
        return self._registry

    def require(self) -> Project:
        """This project, or a one-line error when its root holds no `contracts/` folder."""
        if not self.contracts.is_dir():
            raise ContractError(NO_CONTRACTS.format(where=display(self.contracts)))
        return self


_LOADED: dict[Path, Project] = {}
_CONFIGURED: list[Path] = []  # a stack: nested pytest sessions (pytester) push and pop


def project(root: Path) -> Project:
    """The project at `root` with its registry loaded, once per process."""
    key = Path(root).resolve()
    found = _LOADED.get(key)
    if found is None:
        found = Project(key).require()
        found.registry  # noqa: B018 - load now, so a broken manifest fails here, once
        _LOADED[key] = found
    return found


def configure(root: Path) -> None:
    """Make `root` the default for this process, until `unconfigure()`."""
    _CONFIGURED.append(Path(root))


def unconfigure() -> None:
    """Restore the default that was in force before the last `configure(root)`."""
    if _CONFIGURED:
        _CONFIGURED.pop()


def current() -> Project:
    """The default project: configured, else `$CONTRACTS_ROOT`, else found from the cwd."""
    if _CONFIGURED:
        return project(_CONFIGURED[-1])
    env = os.environ.get("CONTRACTS_ROOT")
    return project(Path(env) if env else find_root(Path.cwd()))
