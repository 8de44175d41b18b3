"""Helpers for the tests of the live path: a writable project and a replay server over it.

The real contracts and cassettes (OpenRouter, Stripe) are copied into the test's folder:
the live path is exercised on what the nightly job calls, paths, probes and all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from provider_contracts.replay.server import ReplayServer
from support.paths import REPO as _REPO

REPO = _REPO
FAKE_OPENROUTER_KEY = "sk-or-v1-" + "0123456789abcdef" * 4
FAKE_STRIPE_KEY = "sk_test_" + "51Hx" * 6


def make_project(root: Path, *providers: str) -> Path:
    """A copy of these providers' contracts and cassettes (with `_shared/`) under `root`."""
    source = REPO
    (root / "contracts").mkdir(parents=True)
    shutil.copytree(source / "contracts" / "_shared", root / "contracts" / "_shared")
    for provider in providers:
        shutil.copytree(source / "contracts" / provider, root / "contracts" / provider)
        shutil.copytree(source / "cassettes" / provider, root / "cassettes" / provider)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, byte for byte."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def server_for(root: Path, *providers: str, alter: tuple[str, ...] = ()) -> ReplayServer:
    return ReplayServer.at(root, providers, alter)


def point_at(root: Path, server: ReplayServer, *providers: str) -> None:
    """Make the server these providers' manifest base_url: calls to it then are live ones."""
    for provider in providers:
        manifest = root / "contracts" / provider / "provider.yaml"
        lines = manifest.read_text().splitlines(keepends=True)
        manifest.write_text(
            "".join(
                f"base_url: {server.base_url(provider)}\n" if line.startswith("base_url:") else line
                for line in lines
            )
        )
