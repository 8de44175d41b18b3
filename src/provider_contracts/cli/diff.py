"""`contracts diff`: structural drift between two recordings, classified."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..project import Project
from ..words import count
from ._options import format_option

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette
    from ..contract.body import Body
    from ..contract.registry import Endpoint
    from ..drift.findings import Finding

EXAMPLES = """
\b
Examples:
  contracts diff cassettes/openrouter/models.json scratch/openrouter/models.json
  contracts diff old.json new.json --contract openrouter/models
  contracts diff before.txt after.txt --contract anthropic/messages_stream
  contracts diff cassettes/openrouter/models.json scratch/openrouter/models.json \\
      --as-alterations | sed 's/^/--alter=/' | xargs -d '\\n' contracts serve openrouter
\b
OLD and NEW are cassettes or response bodies (JSON, or a raw text/event-stream).
Without --contract, two cassettes under .../PROVIDER/ENDPOINT.json are read against
that endpoint's contract; otherwise findings are classified without a schema.
--as-alterations prints, one per line, the `contracts serve --alter` specs that make the
committed cassettes answer as NEW does; a change no alteration expresses is named on
stderr.
"""

MIXED = (
    "{cassette} is a cassette but {body} is a response body; compare two cassettes or two bodies"
)
DISAGREE = (
    "{old} is a cassette of {old_id} but {new} one of {new_id}; pass --contract to say "
    "which contract reads them"
)
NO_DRIFT = "no drift: the two recordings have the same shape"
UNCLASSIFIED = "no contract: classified without a schema (pass --contract PROVIDER/ENDPOINT)"
ROOT_PATH = "(body)"
NOT_REPLAYED = "not replayed (no --alter expresses it): {path}: {what} ({transition})"


@click.command("diff", epilog=EXAMPLES)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--contract",
    "endpoint_id",
    metavar="PROVIDER/ENDPOINT",
    help="The contract whose schema classifies the findings [default: from the cassettes' paths].",
)
@click.option(
    "--as-alterations",
    "as_alterations",
    is_flag=True,
    help="Print the `serve --alter` specs that replay this drift, one per line.",
)
@format_option
@click.pass_obj
def command(
    project: Project, old: str, new: str, endpoint_id: str | None, fmt: str, as_alterations: bool
) -> None:
    """Show how the shape changed from OLD to NEW: breaking, risky, additive or noise.

    Exit 0 when nothing is breaking, 1 on breaking drift, 2 on bad input.
    """
    from ..cassettes.cassette import Cassette
    from ..drift.classify import compare
    from ..drift.findings import worst
    from ..drift.pairing import compare_interactions, read_recording
    from ..errors import InputError
    from ..files import display

    old_path, new_path = Path(old), Path(new)
    before, after = read_recording(old_path), read_recording(new_path)
    if isinstance(before, Cassette) != isinstance(after, Cassette):
        cassette, body = (
            (old_path, new_path) if isinstance(before, Cassette) else (new_path, old_path)
        )
        raise InputError(MIXED.format(cassette=display(cassette), body=display(body)))
    endpoint = (
        project.registry.endpoint(endpoint_id)
        if endpoint_id
        else _inferred(project, before, after, old_path, new_path)
    )
    if isinstance(before, Cassette) and isinstance(after, Cassette):
        findings = compare_interactions(before, after, endpoint)
    else:
        findings = compare(before, after, endpoint)
    if as_alterations:
        _alterations(findings, after, endpoint, fmt)
    elif fmt == "json":
        click.echo(_json(display(old_path), display(new_path), endpoint, findings))
    else:
        for line in _lines(findings):
            click.echo(line)
        click.echo(_summary(findings, endpoint))
    click.get_current_context().exit(1 if worst(findings) == "breaking" else 0)


def _alterations(
    findings: tuple[Finding, ...], after: Cassette | Body, endpoint: Endpoint | None, fmt: str
) -> None:
    import orjson

    from ..drift.as_alterations import as_alterations

    specs, left = as_alterations(findings, after, endpoint)
    if fmt == "json":
        doc = {"alterations": specs, "not_replayed": [f.to_dict() for f in left]}
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    for spec in specs:
        click.echo(spec)
    for finding in left:
        where = finding.path or ROOT_PATH
        line = NOT_REPLAYED.format(path=where, what=finding.what, transition=finding.transition)
        click.echo(line, err=True)


def _inferred(
    project: Project,
    before: Cassette | Body,
    after: Cassette | Body,
    old_path: Path,
    new_path: Path,
) -> Endpoint | None:
    """The endpoint two cassettes at `.../PROVIDER/ENDPOINT.json` were recorded from."""
    from ..cassettes.cassette import Cassette
    from ..errors import InputError
    from ..files import display

    if not isinstance(before, Cassette) or not project.contracts.is_dir():
        return None
    registry = project.registry
    ids = [_endpoint_id(registry, path) for path in (old_path, new_path)]
    found = {i for i in ids if i is not None}
    if len(found) > 1:
        raise InputError(
            DISAGREE.format(
                old=display(old_path), old_id=ids[0], new=display(new_path), new_id=ids[1]
            )
        )
    return registry.endpoint(found.pop()) if found else None


def _endpoint_id(registry: Any, path: Path) -> str | None:
    resolved = path.resolve()
    # cassettes/PROVIDER/ENDPOINT.json, or a split corpus: cassettes/PROVIDER/ENDPOINT/NAME.json
    for provider, endpoint in (
        (resolved.parent.name, resolved.stem),
        (resolved.parent.parent.name, resolved.parent.name),
    ):
        if provider in registry.names and endpoint in registry.provider(provider).endpoints:
            return f"{provider}/{endpoint}"
    return None


def _lines(findings: tuple[Finding, ...]) -> list[str]:
    rows = [(f.severity, f.path or ROOT_PATH, f"{f.old} -> {f.new}", f.reason) for f in findings]
    width_path = min(max((len(r[1]) for r in rows), default=0), 60)
    width_change = min(max((len(r[2]) for r in rows), default=0), 40)
    return [
        f"{severity:<8}  {path:<{width_path}}  {change:<{width_change}}  {reason}"
        for severity, path, change, reason in rows
    ]


def _summary(findings: tuple[Finding, ...], endpoint: Endpoint | None) -> str:
    from ..drift.findings import SEVERITIES

    where = f"{endpoint.id}: " if endpoint is not None else ""
    tail = "" if endpoint is not None else f" ({UNCLASSIFIED})"
    if not findings:
        return f"{where}{NO_DRIFT}{tail}"
    counts = [(s, sum(f.severity == s for f in findings)) for s in SEVERITIES]
    parts = ", ".join(f"{count} {severity}" for severity, count in counts if count)
    total = len(findings)
    return f"{where}{count(total, 'finding')}: {parts}{tail}"


def _json(old: str, new: str, endpoint: Endpoint | None, findings: tuple[Finding, ...]) -> str:
    import orjson

    from ..drift.findings import SEVERITIES, worst

    doc = {
        "old": old,
        "new": new,
        "contract": endpoint.id if endpoint is not None else None,
        "worst": worst(findings),
        "summary": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
        "findings": [f.to_dict() for f in findings],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
