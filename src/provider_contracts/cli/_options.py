"""Options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["consumer_option", "format_option", "parse_reports", "report_option", "write_reports"]

F = TypeVar("F", bound=Callable[..., Any])

# The keys of reports.RENDERERS (a test pins it).
REPORT_FORMATS = ("json", "junit", "markdown", "text")


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="How to print the result.",
    )(func)


def consumer_option(func: F) -> F:
    return click.option(
        "--consumer",
        metavar="NAME",
        help="Judge by what consumer NAME reads (contracts/consumers/NAME.yaml, learned by "
        "`pytest --contracts-learn=NAME`).",
    )(func)


def report_option(func: F) -> F:
    return click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FORMAT:PATH",
        callback=lambda ctx, param, value: parse_reports(value),
        help=f"Also write the result to PATH ({', '.join(REPORT_FORMATS)}); repeatable.",
    )(func)


def parse_reports(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    parsed = []
    for value in values:
        fmt, sep, path = value.partition(":")
        if not sep or not path:
            raise click.BadParameter(
                f"{value!r} is not FORMAT:PATH; use e.g. json:reports/openrouter.json",
                param_hint="--report",
            )
        if fmt not in REPORT_FORMATS:
            raise click.BadParameter(
                f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}",
                param_hint="--report",
            )
        parsed.append((fmt, Path(path)))
    return parsed


def write_reports(reports: list[tuple[str, Path]], render: Callable[[str], str]) -> None:
    """Write each report atomically; `render(fmt)` gives its text."""
    from ..files import write_atomic

    for fmt, path in reports:
        write_atomic(path, render(fmt).encode("utf-8"))
