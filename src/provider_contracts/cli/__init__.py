"""The `contracts` command: thin click commands over the core, one module per command.

Errors become exit codes here and nowhere else: a `ContractsError` prints one line
(`error: ...`) and exits with its code; a usage error prints one line and exits 2.
Modules below import the core inside their functions, so `contracts --help` stays fast.
Helpers that are not commands are underscored (`_options`, `_live`).

May import: every room.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import ContractsError
from ..project import Project

__all__ = ["cli", "main"]


class ContractsGroup(click.Group):
    """A click group whose errors are one line each, with the documented exit codes."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "contracts"
            click.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
            code = 2
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            code = exc.exit_code
        except click.Abort:
            click.echo("error: aborted", err=True)
            code = 1
        except ContractsError as exc:
            from ..cassettes.mask import Masker  # only on the way out with an error

            click.echo(f"error: {Masker().text(str(exc))}", err=True)
            code = exc.exit_code
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=ContractsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=str),
    envvar="CONTRACTS_ROOT",
    help="Project folder holding contracts/ and cassettes/ [default: nearest with contracts/].",
)
@click.version_option(package_name="provider-contracts")
@click.pass_context
def cli(ctx: click.Context, root: str | None) -> None:
    """Contract tests for the APIs an LLM gateway depends on.

    \b
    Offline, on the committed cassettes:
      contracts verify openrouter
    Live, with OPENROUTER_API_KEY set:
      contracts verify openrouter --live
    """
    ctx.obj = Project.at(root)


def _register() -> None:
    """Every module of this package with a `command` is a subcommand (no list to keep)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register()


def main() -> None:
    cli.main(prog_name="contracts")
