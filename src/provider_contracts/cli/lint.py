"""`contracts lint`: integrity of contracts/ and cassettes/."""

from __future__ import annotations

from datetime import timedelta

import click
import orjson

from ..project import Project
from ._options import format_option, waiver_horizon_option


@click.command("lint", epilog="\b\nExample:\n  contracts lint")
@waiver_horizon_option
@format_option
@click.pass_obj
def command(project: Project, waiver_horizon: timedelta, fmt: str) -> None:
    """Check schemas (meta-schema, every $ref), manifests, contracts, cassettes and waivers.

    Exit 0 when all is well, 1 when anything is wrong (each problem on its own line).
    """
    from ..lint import lint

    project.require()
    findings, registry = lint(project.contracts, project.cassettes, waiver_horizon)
    if fmt == "json":
        data = {
            "findings": [{"file": f.file, "message": f.message} for f in findings],
            "endpoints": len(registry.endpoints()),
        }
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        for finding in findings:
            click.echo(str(finding))
        count = len(registry.endpoints())
        verdict = f"{len(findings)} problems" if findings else "all good"
        click.echo(f"{len(registry.providers)} providers, {count} endpoints: {verdict}")
    click.get_current_context().exit(1 if findings else 0)
