"""Options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "Duration",
    "Seconds",
    "consumer_option",
    "format_option",
    "parse_reports",
    "report_option",
    "waiver_horizon_option",
    "write_reports",
]

F = TypeVar("F", bound=Callable[..., Any])

# The keys of reports.RENDERERS (a test pins it).
REPORT_FORMATS = ("json", "junit", "markdown", "text")


class Seconds(click.ParamType[float, Any]):
    """A finite number of seconds in [low, high]: `nan`, `inf` and `1e308` are refused at parse time."""

    name = "seconds"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and self.low <= number <= self.high):
            self.fail(f"{value!r} is not a number of seconds from {self.low:g} to {self.high:g}")
        return number


class Duration(click.ParamType[timedelta, Any]):
    """A duration written 90m, 26h, 2d or 1d12h, at most `longest`; converted to a timedelta."""

    name = "duration"

    def __init__(self, longest: timedelta) -> None:
        self.longest = longest

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        from ..errors import InputError
        from ..gate.verdict import parse_duration

        try:
            return parse_duration(str(value), self.longest)
        except InputError as exc:
            self.fail(str(exc))


def waiver_horizon_option(func: F) -> F:
    """`--waiver-horizon`: how far ahead a waiver may expire (gate and lint)."""
    return click.option(
        "--waiver-horizon",
        type=Duration(timedelta(days=3650)),
        default="365d",
        show_default=True,
        metavar="DURATION",
        help="The furthest a waiver's `expires` may be from today.",
    )(func)


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
        callback=lambda ctx, param, value: parse_reports(value, _protected(ctx)),
        help=f"Also write the result to PATH ({', '.join(REPORT_FORMATS)}); repeatable.",
    )(func)


def _protected(ctx: click.Context) -> tuple[Path, ...]:
    """The folders a report never lands in: the project's contracts/ and cassettes/."""
    project = ctx.find_root().obj
    if project is None:
        return ()
    return (project.contracts, project.cassettes)


def parse_reports(
    values: tuple[str, ...], protected: tuple[Path, ...] = ()
) -> list[tuple[str, Path]]:
    """`FORMAT:PATH` values, each path checked against the write policy before the run."""
    import os

    from ..errors import InputError
    from ..files import IS_A_FOLDER, check_writable

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
        if path.endswith(("/", os.sep)):
            raise click.BadParameter(
                IS_A_FOLDER.format(where=path.rstrip("/" + os.sep)), param_hint="--report"
            )
        try:
            check_writable(Path(path), protected)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--report") from None
        parsed.append((fmt, Path(path)))
    return parsed


def write_reports(
    reports: list[tuple[str, Path]],
    render: Callable[[str], str],
    protected: tuple[Path, ...] = (),
) -> None:
    """Write every report or none (`files.write_all`); `render(fmt)` gives its text."""
    from ..files import write_all

    write_all({path: render(fmt).encode("utf-8") for fmt, path in reports}, protected)
