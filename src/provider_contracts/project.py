"""The project a test process replays from: its `contracts/` and `cassettes/`, loaded once.

`assert_contract` and the pytest plugin need the same registry for every test; loading
it once per process keeps each test's cost to the lookups it makes. The root is, in
order: the one the pytest plugin configured (`--contracts-root`), `$CONTRACTS_ROOT`, or
the nearest folder at or above the working folder that holds `contracts/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .contract.registry import Registry, find_root
from .errors import ContractError
from .files import display

__all__ = ["NO_CONTRACTS", "Workspace", "configure", "current", "unconfigure", "workspace"]

NO_CONTRACTS = (
    "{where}: no contracts/ folder here or above; pass --contracts-root DIR (the folder "
    "holding contracts/ and cassettes/) or set CONTRACTS_ROOT"
)


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path
    registry: Registry

    @property
    def contracts(self) -> Path:
        return self.root / "contracts"

    @property
    def cassettes(self) -> Path:
        return self.root / "cassettes"


_LOADED: dict[Path, Workspace] = {}
_CONFIGURED: list[Path] = []  # a stack: nested pytest sessions (pytester) push and pop


def workspace(root: Path) -> Workspace:
    """The workspace at `root` (the folder holding `contracts/`), loaded once per process."""
    key = Path(root).resolve()
    found = _LOADED.get(key)
    if found is None:
        if not (key / "contracts").is_dir():
            raise ContractError(NO_CONTRACTS.format(where=display(key)))
        found = _LOADED[key] = Workspace(key, Registry.load(key / "contracts"))
    return found


def configure(root: Path) -> None:
    """Make `root` the default for this process, until `unconfigure()`."""
    _CONFIGURED.append(Path(root))


def unconfigure() -> None:
    """Restore the default that was in force before the last `configure(root)`."""
    if _CONFIGURED:
        _CONFIGURED.pop()


def current() -> Workspace:
    """The default workspace: configured, else `$CONTRACTS_ROOT`, else found from the cwd."""
    if _CONFIGURED:
        return workspace(_CONFIGURED[-1])
    env = os.environ.get("CONTRACTS_ROOT")
    return workspace(Path(env) if env else find_root(Path.cwd()))
