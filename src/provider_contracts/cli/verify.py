"""`contracts verify`: every recorded interaction against its contract."""

from __future__ import annotations

import click

from .options import format_option, report_option, write_reports
from .project import Project

EXAMPLES = """
\b
Examples:
  contracts verify openrouter
  contracts verify openrouter/chat_completions stripe
  contracts verify --all --report json:reports/all.json
"""


@click.command("verify", epilog=EXAMPLES)
@click.argument("names", nargs=-1, metavar="PROVIDER[/ENDPOINT]...")
@click.option("--all", "everything", is_flag=True, help="Verify every provider.")
@format_option
@report_option
@click.pass_obj
def command(
    project: Project,
    names: tuple[str, ...],
    everything: bool,
    fmt: str,
    reports: list[tuple[str, object]],
) -> None:
    """Check the committed cassettes of providers (or endpoints) against their contracts.

    Exit 0 when everything holds, 1 on a violation, 2 on bad input or a missing
    cassette.
    """
    if not names and not everything:
        raise click.UsageError("name a provider (e.g. `contracts verify openrouter`) or pass --all")
    if names and everything:
        raise click.UsageError("pass provider names or --all, not both")
    from ..reports import RENDERERS
    from ..verify import verify_offline

    registry = project.registry
    endpoints = registry.endpoints() if everything else registry.select(names)
    result = verify_offline(endpoints, project.cassettes, project.contracts)
    write_reports(reports, lambda report_fmt: RENDERERS[report_fmt](result))  # type: ignore[arg-type]
    click.echo(RENDERERS[fmt](result), nl=False)
    click.get_current_context().exit(result.exit_code)
