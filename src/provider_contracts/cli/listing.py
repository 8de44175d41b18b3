"""`contracts list`: providers and endpoints, with their cassettes' age and provenance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import orjson

from ..project import Project
from ..words import count
from ._options import format_option


@click.command("list", epilog="\b\nExamples:\n  contracts list\n  contracts list openrouter")
@click.argument("providers", nargs=-1, metavar="[PROVIDER]...")
@format_option
@click.pass_obj
def command(project: Project, providers: tuple[str, ...], fmt: str) -> None:
    """List providers and endpoints, each with its cassette's age and provenance."""
    from ..cassettes.cassette import cassette_paths, read

    registry = project.registry
    chosen = (
        [registry.provider(p) for p in providers]
        if providers
        else list(registry.providers.values())
    )
    rows: list[dict[str, Any]] = []
    for provider in chosen:
        for endpoint in provider.endpoints.values():
            paths = cassette_paths(project.cassettes, provider.name, endpoint.name)
            provenance: dict[str, Any] = {}
            interactions = 0
            for path in paths:
                cassette = read(path)
                provenance = provenance or dict(cassette.provenance)
                interactions += len(cassette.interactions)
            rows.append(
                {
                    "endpoint": endpoint.id,
                    "method": endpoint.method,
                    "path": endpoint.path,
                    "stream": endpoint.stream is not None,
                    "cassette": bool(paths),
                    "interactions": interactions,
                    "age_days": _age_days(provenance),
                    "provenance": provenance,
                }
            )
    if fmt == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    width = max((len(r["endpoint"]) for r in rows), default=0)
    for row in rows:
        click.echo(
            f"{row['endpoint'].ljust(width)}  {row['method']:<6} {row['path']:<28} {_describe(row)}"
        )


def _describe(row: dict[str, Any]) -> str:
    if not row["cassette"]:
        return "no cassette"
    prov = row["provenance"]
    age = row["age_days"]
    old = f", {age} days old" if age is not None else ""
    if prov.get("recorded_live"):
        origin = f"recorded live {prov.get('recorded_at', '?')}"
    elif prov.get("recorded_from"):
        origin = f"not live: recorded from {prov['recorded_from']} {prov.get('recorded_at', '?')}"
    else:
        source = str(prov.get("source", "an unknown source")).split(" (")[0]
        origin = f"not live: built from {source}"
    return f"{count(row['interactions'], 'interaction')}{old}, {origin}"


def _age_days(provenance: dict[str, Any]) -> int | None:
    from ..cassettes.age import recorded_at  # commands import the rooms when they run

    when = recorded_at(provenance)
    return None if when is None else (datetime.now(UTC).date() - when.astimezone(UTC).date()).days
