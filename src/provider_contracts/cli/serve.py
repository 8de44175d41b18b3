"""`contracts serve`: the committed cassettes as an HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import click

from ..project import Project

EXAMPLES = """
\b
Examples:
  contracts serve openrouter --port 8080
      then point the gateway at http://127.0.0.1:8080/api/v1
  contracts serve openrouter anthropic
      each provider also under /PROVIDER/..., e.g. /anthropic/v1/messages
  contracts serve openrouter --alter 'status:429:2*1' --alter 'drop:usage'
      one 429 (Retry-After: 2), then answers without `usage`
  contracts serve anthropic --scenario overloaded-then-fine
      one 529 in Anthropic's error envelope, then the recorded answers
\b
Alterations (--alter, repeatable): ACTION[:ARG][@PROVIDER[/ENDPOINT]][*TIMES]
  drop:PATH  retype:PATH[=TYPE]  add:PATH=JSON  status:CODE[:RETRY_AFTER]
  hang  reset  cut[:EVENTS|tool]  slow:SECONDS  echo:HEADER
  status:CODE answers the provider's own error body and headers for that status.
\b
Scenarios (--scenario NAME; each fault once per provider, then as recorded):
  rate-limited-then-fine   one 429 (Retry-After: 1)
  overloaded-then-fine     one 529 (Anthropic) or 503 (the others)
  server-error-then-fine   one 500
  timeout-then-fine        one request never answered
  reset-then-fine          one connection reset
  stream-cut-in-tool-call  a tool-call stream cut inside the call's arguments
\b
Test controls (request headers):
  X-Contracts-Interaction: N|NAME   answer that recorded interaction (errors included)
  Idempotency-Key: K                a repeated POST gets its first answer again
Lists (Stripe's) page from the recorded items: limit, starting_after, ending_before.
"""


@click.command("serve", epilog=EXAMPLES)
@click.argument("providers", nargs=-1, metavar="[PROVIDER]...")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@click.option(
    "--alter",
    "alters",
    multiple=True,
    metavar="SPEC",
    help="Change what is answered (drift, outages); repeatable. See below.",
)
@click.option(
    "--scenario",
    metavar="NAME",
    help="A named scenario a gateway must survive (listed below).",
)
@click.option(
    "--history",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="Requests kept in memory for the log (a ring: the oldest go first).",
)
@click.pass_obj
def command(
    project: Project,
    providers: tuple[str, ...],
    port: int,
    alters: tuple[str, ...],
    scenario: str | None,
    history: int,
) -> None:
    """Replay the committed cassettes over HTTP on 127.0.0.1, under each provider's paths.

    Serves every provider unless some are named. Prints the URL, then one line per
    request; stops on Ctrl-C.
    """
    from ..replay.alterations import parse
    from ..replay.server import ReplayServer

    alterations = [parse(spec) for spec in alters]
    _check_scopes(alterations, list(providers) or project.registry.names, project)
    server = ReplayServer.at(
        project.root,
        providers,
        alterations,
        port,
        log=lambda line: click.echo(line),
        history=history,
        scenario=scenario,
    )
    chosen = server.providers
    url = server.bind()
    click.echo(f"serving {', '.join(p.name for p in chosen)} on {url} (Ctrl-C stops)")
    for provider in chosen:
        click.echo(
            f"  {provider.name}: {server.base_url(provider.name)} "
            f"(also {server.base_url(provider.name, prefixed=True)})"
        )
    for alteration in alterations:
        click.echo(f"  altering: {alteration}")
    if server.scenario is not None:
        click.echo(f"  scenario: {server.scenario.name} ({server.scenario.summary})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.stop()


def _check_scopes(alterations: list[Any], served: list[str], project: Project) -> None:
    """An alteration scoped to a provider or endpoint this server does not serve never
    fires: refuse it before the server starts."""
    from ..errors import InputError, UnknownName

    for alteration in alterations:
        if alteration.scope is None:
            continue
        try:
            if "/" in alteration.scope:
                project.registry.endpoint(alteration.scope)
            else:
                project.registry.provider(alteration.scope)
        except UnknownName as exc:
            raise InputError(f"--alter {alteration.spec!r}: {exc}") from None
        provider = alteration.scope.partition("/")[0]
        if provider not in served:
            raise InputError(
                f"--alter {alteration.spec!r}: names {provider!r}, which this server does not "
                f"serve ({', '.join(served)}); serve it too, or change the target"
            )
