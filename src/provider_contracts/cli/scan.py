"""`contracts scan`: secrets in cassettes (keys, tokens, client secrets, cookies)."""

from __future__ import annotations

from pathlib import Path

import click

from ..project import Project
from ..words import count
from ._options import format_option

EXAMPLES = """
\b
Examples:
  contracts scan
  contracts scan cassettes/stripe
  contracts scan cassettes/openrouter/models.json cassettes/stripe/events_list.json
\b
As a pre-commit hook it is given the changed cassettes as arguments.
"""

NO_SUCH_PATH = (
    "{where}: no such file or folder; pass cassette files or folders (default: cassettes/)"
)
NO_CASSETTES = (
    "{where}: no cassettes folder here; run from the project root, pass --root, "
    "or name the files to scan"
)
FOUND = (
    "{hits} in {files} of {scanned}: remove them (re-record with "
    "`contracts record`, which scrubs before writing) and revoke every exposed key"
)
CLEAN = "no secrets in {scanned}"


@click.command("scan", epilog=EXAMPLES)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@format_option
@click.pass_obj
def command(project: Project, paths: tuple[str, ...], fmt: str) -> None:
    """Find secrets in cassette files (default: everything under cassettes/).

    Each finding is printed as `file:line: kind: excerpt`, with the secret masked: the
    secret itself is never printed. Exit 0 when clean, 1 on any finding, 2 when a
    path cannot be read.
    """
    from ..cassettes.scan import SecretHit, find_secrets
    from ..errors import InputError
    from ..files import display, read_bytes

    if paths:
        roots = [Path(p) for p in paths]
        for root in roots:
            if not root.exists():
                raise InputError(NO_SUCH_PATH.format(where=display(root)))
    else:
        if not project.cassettes.is_dir():
            raise InputError(NO_CASSETTES.format(where=display(project.cassettes)))
        roots = [project.cassettes]
    files = [path for root in roots for path in _files(root)]
    names = _redacted_names(project)
    hits: list[tuple[str, SecretHit]] = []
    for path in files:
        text = read_bytes(path).decode("utf-8", "replace")
        hits.extend((display(path), hit) for hit in find_secrets(text, names))
    if fmt == "json":
        import orjson

        doc = {
            "files": len(files),
            "secrets": [
                {"file": f, "line": h.line, "kind": h.kind, "excerpt": h.excerpt} for f, h in hits
            ],
        }
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        for where, hit in hits:
            click.echo(f"{where}:{hit.line}: {hit.kind}: {hit.excerpt}")
        if hits:
            dirty = len({where for where, _ in hits})
            click.echo(
                FOUND.format(
                    hits=count(len(hits), "secret"), files=dirty, scanned=count(len(files), "file")
                )
            )
        else:
            click.echo(CLEAN.format(scanned=count(len(files), "file")))
    click.get_current_context().exit(1 if hits else 0)


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return [root]
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def _redacted_names(project: Project) -> set[str]:
    """Every manifest's `redact` names, so that scan looks where record scrubs."""
    from ..errors import ContractsError

    names: set[str] = set()
    if not project.contracts.is_dir():
        return names
    registry = project.registry
    for name in registry.names:
        try:
            provider = registry.provider(name)
        except ContractsError:
            continue  # a broken manifest is `contracts lint`'s to report, not a reason to skip the scan
        for kind in ("headers", "query", "body_fields"):
            names.update(provider.redact.get(kind, ()))
        names.add(provider.auth.header)
    return names
