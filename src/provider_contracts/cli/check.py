"""`contracts check`: one response body, from a file or stdin, against an endpoint contract."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click
import orjson

from ..project import Project
from ..words import count
from ._options import format_option

EXAMPLES = """
\b
Examples:
  contracts check openrouter/chat_completions response.json
  curl -sN ... | contracts check openrouter/chat_completions_stream -
  contracts check openrouter/key error.json --status 401
"""


@click.command("check", epilog=EXAMPLES)
@click.argument("endpoint_id", metavar="PROVIDER/ENDPOINT")
@click.argument("source", metavar="FILE|-")
@click.option(
    "--status",
    type=click.IntRange(100, 599),
    default=200,
    show_default=True,
    help="The HTTP status the body came with; it selects the schema.",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A response header, for the contract's header checks; repeatable.",
)
@format_option
@click.pass_obj
def command(
    project: Project, endpoint_id: str, source: str, status: int, headers: tuple[str, ...], fmt: str
) -> None:
    """Validate one response body (JSON, or a raw text/event-stream body).

    Header contracts are checked only when headers are given with --header.
    Exit 0 when it matches, 1 on a violation, 2 when the input cannot be checked.
    """
    from pathlib import Path

    from ..contract.body import Body
    from ..contract.validation import validate_response
    from ..errors import BINARY_BODY, EMPTY_FILE, BodyError
    from ..files import MAX_INPUT, read_bytes, read_limited

    endpoint = project.registry.endpoint(endpoint_id)
    where = "stdin" if source == "-" else source
    data = (
        read_limited(sys.stdin.buffer, MAX_INPUT, where, BodyError, "a body")
        if source == "-"
        else read_bytes(Path(source), BodyError, what="a body")
    )
    body = Body.from_raw(data)
    if body.kind == "empty":
        raise BodyError(EMPTY_FILE.format(where=where, fix="give the response body to check"))
    if body.kind == "bytes":
        raise BodyError(BINARY_BODY.format(where=where))
    wants_stream = endpoint.stream is not None and 200 <= status < 300
    if body.kind == "text":
        what = "neither JSON nor an event stream" if wants_stream else "not JSON"
        raise BodyError(
            f"{where}: the body is {what}; give the body exactly as {endpoint.id} sent it"
        )
    if body.kind == "sse" and not wants_stream:
        raise BodyError(
            f"{where}: an event stream, but {endpoint.id} answers status {status} in JSON; "
            "check it against a *_stream endpoint or pass the right --status"
        )
    result = validate_response(endpoint, status, body, _parse_headers(headers) if headers else None)
    if fmt == "json":
        data_out = {
            "endpoint": endpoint.id,
            "source": where,
            "status": status,
            "branch": result.branch,
            "events": result.events,
            "ok": result.ok,
            "violations": [asdict(v) for v in result.violations],
        }
        click.echo(orjson.dumps(data_out, option=orjson.OPT_INDENT_2).decode())
    elif result.ok:
        branch = ", took the error branch" if result.branch == "error" and status < 300 else ""
        events = f", {result.events} events" if body.kind == "sse" else ""
        click.echo(f"ok   {endpoint.id}: {where} matches (status {status}{events}{branch})")
    else:
        click.echo(
            f"FAIL {endpoint.id}: {where} (status {status}), "
            f"{count(len(result.violations), 'violation')}"
        )
        for violation in result.violations:
            for line in violation.lines(f"{endpoint.id} {where}"):
                click.echo("     " + line)
    click.get_current_context().exit(0 if result.ok else 1)


def _parse_headers(values: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not 'NAME: VALUE'", param_hint="--header")
        parsed[name.strip()] = rest.strip()
    return parsed
