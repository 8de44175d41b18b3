"""`contracts --help` lists every command without importing one; commands load when run."""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

import provider_contracts.cli as cli_package
from provider_contracts.cli import COMMANDS, cli

LOADED = """
import sys
import click
from provider_contracts.cli import COMMANDS, cli
if {preload!r}:
    for name in COMMANDS:
        cli.get_command(click.Context(cli), name)
cli.main({args!r}, prog_name="contracts", standalone_mode=False)
print("LOADED", " ".join(sorted(sys.modules)))
"""


def loaded_by(*args: str, preload: bool = False) -> tuple[str, set[str]]:
    """What `contracts ARGS` printed and every module it imported, in a fresh process
    (with every command imported first, when `preload`)."""
    code = LOADED.format(args=list(args), preload=preload)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    printed, _, modules = out.rpartition("LOADED ")
    return printed, set(modules.split())


def test_every_command_module_is_in_the_table_under_its_command_name() -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if hasattr(importlib.import_module(f"{cli_package.__name__}.{info.name}"), "command")
    }
    assert modules == {module for module, _ in COMMANDS.values()}
    for name, (module, _) in COMMANDS.items():
        assert importlib.import_module(f"{cli_package.__name__}.{module}").command.name == name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_lists_each_command_as_its_own_help_does(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help is not None
    assert COMMANDS[name][1] == command.help.split("\n\n")[0]
    stand_in = click.Command(name, help=COMMANDS[name][1])
    for limit in (20, 45, 70, 200):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_imports_no_command_and_reads_no_contract() -> None:
    printed, modules = loaded_by("--help")
    ours = {m for m in modules if m.startswith("provider_contracts")}
    assert ours == {"provider_contracts", "provider_contracts.cli", "provider_contracts.errors"}
    assert not {"yaml", "jsonschema_rs", "orjson"} & modules
    for name in COMMANDS:
        assert f"  {name} " in printed
    # The same page as once every command is loaded and gives its own short help.
    assert loaded_by("--help", preload=True)[0] == printed


def test_verify_loads_its_own_command_and_renderer_only(sample: Path) -> None:
    printed, modules = loaded_by("--root", str(sample), "verify", "acme")
    assert "everything holds" in printed
    commands = {m for m in modules if m.startswith("provider_contracts.cli.")}
    assert commands == {
        "provider_contracts.cli.verify",
        "provider_contracts.cli._live",
        "provider_contracts.cli._options",
    }
    reports = {m for m in modules if m.startswith("provider_contracts.reports.")}
    assert reports == {"provider_contracts.reports.text"}
    assert "xml.etree.ElementTree" not in modules


COMMAND_LINE = ("contracts ", "OPENROUTER_API_KEY=", "STRIPE_API_KEY=", "curl ")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_help_example_pastes_into_a_shell_as_printed(name: str) -> None:
    from click.testing import CliRunner

    printed = CliRunner().invoke(cli, [name, "--help"], terminal_width=200).output
    block = printed.partition("Examples:\n")[2].replace("\\\n", " ")
    shown = itertools.takewhile(lambda line: line.strip(" \b"), block.splitlines())
    lines = [line for line in shown if line.strip().startswith(COMMAND_LINE)]
    assert lines
    for line in lines:
        words = shlex.split(line)  # unbalanced quotes raise
        assert not any("\n" in word for word in words), line
