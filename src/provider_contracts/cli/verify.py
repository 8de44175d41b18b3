"""`contracts verify`: every recorded interaction against its contract."""

from __future__ import annotations

import click

from ..project import Project
from ._live import LiveOptions, network_options, verify_live_command
from ._options import consumer_option, format_option, report_option, write_reports

EXAMPLES = """
\b
Examples:
  contracts verify openrouter
  contracts verify openrouter/chat_completions stripe
  contracts verify --all --report json:reports/all.json
  OPENROUTER_API_KEY=... contracts verify openrouter --live
  contracts verify --all --consumer gateway
"""


@click.command("verify", epilog=EXAMPLES)
@click.argument("names", nargs=-1, metavar="PROVIDER[/ENDPOINT]...")
@click.option("--all", "everything", is_flag=True, help="Verify every provider.")
@click.option(
    "--live",
    is_flag=True,
    help="Call the providers now (keys from their environment variables), record "
    "into a scratch folder, validate, and diff against the committed cassettes.",
)
@click.option(
    "--scratch",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="With --live: where the fresh recordings go [default: a new folder under "
    "./scratch/]; never cassettes/.",
)
@network_options
@consumer_option
@format_option
@report_option
@click.pass_obj
def command(
    project: Project,
    names: tuple[str, ...],
    everything: bool,
    live: bool,
    scratch: str | None,
    live_options: LiveOptions,
    consumer: str | None,
    fmt: str,
    reports: list[tuple[str, object]],
) -> None:
    """Check the committed cassettes of providers (or endpoints) against their contracts.

    Exit 0 when everything holds, 1 on a violation (or, live, breaking drift), 2 on bad
    input or a missing cassette, 3 when a provider could not be reached (live). With
    --consumer NAME, only violations and breaking drift at paths NAME reads fail the run.
    """
    if not names and not everything:
        raise click.UsageError("name a provider (e.g. `contracts verify openrouter`) or pass --all")
    if names and everything:
        raise click.UsageError("pass provider names or --all, not both")
    given = (("--scratch",) if scratch else ()) + live_options.given
    if not live and given:
        raise click.UsageError(f"{', '.join(given)}: for live runs only; add --live")
    from ..reports import RENDERERS
    from ..verify.offline import verify_offline

    registry = project.registry
    reader = None
    if consumer is not None:
        from ..consumers.model import load

        reader = load(project.contracts, consumer, registry)
    endpoints = registry.endpoints() if everything else registry.select(names)
    if live:
        result = verify_live_command(project, endpoints, scratch, live_options)
    else:
        result = verify_offline(endpoints, project.cassettes, project.contracts)
    write_reports(
        reports,  # type: ignore[arg-type]
        lambda report_fmt: RENDERERS[report_fmt](result),
        (project.contracts, project.cassettes),
    )
    click.echo(RENDERERS[fmt](result), nl=False)
    code = result.exit_code
    if reader is not None:
        from ..verify.consumer import judge

        judged = judge(result, reader)
        if fmt == "text":
            click.echo(judged.render(), nl=False)
        code = judged.exit_code
    missing = [e.note for e in result.endpoints if e.outcome == "missing"]
    if code == 2 and missing:
        from ..errors import InputError
        from ..words import count

        others = len(missing) - 1
        more = f" (and {count(others, 'other cassette')} missing)" if others else ""
        raise InputError(f"{missing[0]}{more}")
    click.get_current_context().exit(code)
