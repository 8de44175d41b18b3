"""`contracts gate`: the staging deploy gate over the nightly verify reports."""

from __future__ import annotations

from datetime import timedelta

import click
import orjson

from ..project import Project
from ._options import Duration, consumer_option, format_option, waiver_horizon_option

EXAMPLES = """
\b
Examples:
  contracts gate reports/*.json
  contracts gate reports/*.json --max-age 2d --allow-unverified
  contracts gate reports/offline.json --allow-offline
  contracts gate reports/against-serve.json --allow-base-url
  contracts gate reports/all.json --waivers contracts/waivers.yaml --format json
  contracts gate reports/*.json --consumer gateway
"""


@click.command("gate", epilog=EXAMPLES)
@click.argument("reports", nargs=-1, required=True, metavar="REPORT...")
@click.option(
    "--max-age",
    default="26h",
    show_default=True,
    type=Duration(timedelta(days=365)),
    metavar="DURATION",
    help="The oldest a report may be: 90m, 26h, 2d (at most 365d).",
)
@click.option(
    "--allow-unverified",
    is_flag=True,
    help="Let endpoints that could not be verified (provider down) pass.",
)
@click.option(
    "--allow-offline",
    is_flag=True,
    help="Let offline reports (the committed cassettes, not the providers today) count.",
)
@click.option(
    "--allow-base-url",
    is_flag=True,
    help="Let live reports made with --base-url (another server, not the provider) count.",
)
@click.option(
    "--waivers",
    "waivers_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Accepted drift and violations [default: contracts/waivers.yaml, if present].",
)
@waiver_horizon_option
@consumer_option
@format_option
@click.pass_obj
def command(
    project: Project,
    reports: tuple[str, ...],
    max_age: timedelta,
    allow_unverified: bool,
    allow_offline: bool,
    allow_base_url: bool,
    waivers_path: str | None,
    waiver_horizon: timedelta,
    consumer: str | None,
    fmt: str,
) -> None:
    """Decide whether a deploy may go ahead, from JSON reports of `contracts verify`.

    Exit 0 when every endpoint in contracts/ is covered by a fresh report that shows no
    contract violation and no breaking drift (beyond waivers in force); 1 when
    anything blocks, each reason on one line with what to do; 2 on bad input. Offline
    reports count only with --allow-offline, live reports that called a --base-url
    instead of the providers only with --allow-base-url; a report dated in the future blocks. With
    --consumer NAME, only a violation or breaking drift at a path NAME reads (or above
    one) blocks; the rest is noted as "not read by NAME".
    """
    from datetime import UTC, datetime
    from pathlib import Path

    from ..consumers.model import consumer_names, load
    from ..errors import InputError
    from ..files import display
    from ..gate.render import render, to_dict
    from ..gate.report import read_report
    from ..gate.verdict import NO_ENDPOINTS, evaluate
    from ..gate.waivers import load_waivers

    endpoints = project.registry.endpoint_ids()
    if not endpoints:
        raise InputError(NO_ENDPOINTS.format(where=display(project.contracts)))
    unique = {Path(path).resolve(): Path(path) for path in reversed(reports)}  # a file once
    read = [read_report(path) for path in reversed(unique.values())]
    now = datetime.now(UTC)
    waivers_file = Path(waivers_path) if waivers_path else project.contracts / "waivers.yaml"
    waivers = (
        load_waivers(waivers_file, endpoints, today=now.date(), horizon=waiver_horizon)
        if waivers_path or waivers_file.is_file()
        else ()
    )
    names = consumer_names(project.contracts)
    if consumer is not None and consumer not in names:
        names.append(consumer)  # its load says the file is missing
    consumers = [load(project.contracts, name, project.registry) for name in names]
    result = evaluate(
        read,
        endpoints,
        now=now,
        max_age=max_age,
        allow_unverified=allow_unverified,
        allow_offline=allow_offline,
        allow_base_url=allow_base_url,
        waivers=waivers,
        waivers_file=display(waivers_file),
        consumers=consumers,
        consumer=consumer,
    )
    if fmt == "json":
        click.echo(orjson.dumps(to_dict(result), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render(result), nl=False)
    click.get_current_context().exit(result.exit_code)
