"""`contracts lint`: integrity of contracts/ and cassettes/ (and the consumer files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import orjson

from ..project import Project
from ..words import count
from ._options import consumer_option, format_option, waiver_horizon_option


@click.command(
    "lint", epilog="\b\nExamples:\n  contracts lint\n  contracts lint --consumer gateway"
)
@waiver_horizon_option
@consumer_option
@format_option
@click.pass_obj
def command(project: Project, waiver_horizon: timedelta, consumer: str | None, fmt: str) -> None:
    """Check schemas (meta-schema, every $ref), manifests, contracts, cassettes and waivers.

    Exit 0 when all is well, 1 when anything is wrong (each problem on its own line), 2
    when a consumer file names an unknown endpoint or a path no schema has. With
    --consumer NAME, also warn where NAME reads what the contract does not guarantee
    (optional or nullable). A cassette older than its provider's max_age (provider.yaml)
    is a warning too; warnings do not change the exit code.
    """
    from ..cassettes.age import stale
    from ..consumers import model
    from ..consumers.judge import gaps
    from ..lint import lint

    project.require()
    findings, registry = lint(project.contracts, project.cassettes, waiver_horizon)
    for name in model.consumer_names(project.contracts):
        model.load(project.contracts, name, registry)
    warnings = []
    if consumer is not None:
        warnings = list(gaps(model.load(project.contracts, consumer, registry), registry))
    aged = stale(project.cassettes, registry, datetime.now(UTC))  # warnings: exit code unchanged
    if fmt == "json":
        data = {
            "findings": [{"file": f.file, "message": f.message} for f in findings],
            "endpoints": len(registry.endpoints()),
            "stale": aged,
        }
        if consumer is not None:
            data["not_guaranteed"] = [
                {"file": w.file, "endpoint": w.endpoint, "path": w.path, "why": w.why}
                for w in warnings
            ]
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        for finding in findings:
            click.echo(str(finding))
        for warning in warnings:
            click.echo(f"warn  {warning}")
        for line in aged:
            click.echo(f"warn  {line}")
        endpoints = count(len(registry.endpoints()), "endpoint")
        verdict = count(len(findings), "problem") if findings else "all good"
        if consumer is not None:
            verdict += f"; {count(len(warnings), 'read')} of {consumer} not guaranteed"
        click.echo(f"{count(len(registry.providers), 'provider')}, {endpoints}: {verdict}")
    click.get_current_context().exit(1 if findings else 0)
