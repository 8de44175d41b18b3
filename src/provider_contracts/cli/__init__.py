"""The `contracts` command: thin click commands over the core, one module per command.

Errors become exit codes here and nowhere else: a `ContractsError` prints one line
(`error: ...`) and exits with its code; a usage error prints one line and exits 2.
A command's module is imported only when that command runs (`COMMANDS` names them, with
the one line `contracts --help` shows), and modules below import the core inside their
functions, so `contracts --help` stays fast. Helpers that are not commands are
underscored (`_options`, `_live`).

May import: every room.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import click

from ..errors import ContractsError

__all__ = ["COMMANDS", "cli", "main"]

# Every command: its module here, and the first paragraph of its help, which
# `contracts --help` lists without importing the module (tests/cli/test_help.py checks
# each line against the command's own docstring, so the two cannot drift apart).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "Validate one response body (JSON, or a raw text/event-stream body)."),
    "diff": (
        "diff",
        "Show how the shape changed from OLD to NEW: breaking, risky, additive or noise.",
    ),
    "gate": (
        "gate",
        "Decide whether a deploy may go ahead, from JSON reports of `contracts verify`.",
    ),
    "lint": (
        "lint",
        "Check schemas (meta-schema, every $ref), manifests, contracts, cassettes and waivers.",
    ),
    "list": (
        "listing",
        "List providers and endpoints, each with its cassette's age and provenance.",
    ),
    "new": (
        "new",
        "Scaffold PROVIDER's manifest and contracts from the shared OpenAI-compatible shapes.",
    ),
    "record": (
        "record",
        "Call PROVIDER's endpoints live, scrub, validate, show the drift, replace the cassettes.",
    ),
    "scan": ("scan", "Find secrets in cassette files (default: everything under cassettes/)."),
    "serve": (
        "serve",
        "Replay the committed cassettes over HTTP on 127.0.0.1, under each provider's paths.",
    ),
    "verify": (
        "verify",
        "Check the committed cassettes of providers (or endpoints) against their contracts.",
    ),
}

IO_FIX = "check the path, its permissions and the free space"


class ContractsGroup(click.Group):
    """A click group whose errors are one line each, with the documented exit codes.

    Its commands are found in `COMMANDS` and imported when one is run or asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = import_module(f"{__name__}.{COMMANDS[cmd_name][0]}")
            self.add_command(module.command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click writes it, from `COMMANDS`: no command is imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            known = self.commands.get(name)
            listed = known or click.Command(name, help=COMMANDS[name][1])
            if not listed.hidden:
                rows.append((name, listed.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """The command, its output flushed; a reader gone (`contracts list | head -1`) is no error."""
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except BrokenPipeError:
            # As the Python docs recommend (signal module, "Note on SIGPIPE"): point stdout
            # at devnull, so that the flush at exit does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None

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
        except OSError as exc:  # an I/O failure no room translated: still one line, no traceback
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}; {IO_FIX}", err=True)
            code = 3 if isinstance(exc, (ConnectionError, TimeoutError)) else 2
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
    from ..project import Project  # here, so that `contracts --help` does not load it

    ctx.obj = Project.at(root)


def main() -> None:
    """The `contracts` executable: run the command, then end the process."""
    code = cli.main(prog_name="contracts", standalone_mode=False)
    # The process ends here: with every live object frozen, the collection at interpreter
    # exit does not walk them all again (about 9 ms of `contracts verify openrouter`'s
    # 100 ms; scripts/bench_startup.py). Files are closed and atexit handlers still run.
    gc.freeze()
    sys.exit(code)
