"""The commands that call providers live (`record`, `verify --live`): options and the live run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._options import Seconds

if TYPE_CHECKING:
    from ..live.caller import RetryPolicy

__all__ = [
    "BASE_URL_AMBIGUOUS",
    "LiveOptions",
    "base_urls_for",
    "network_options",
    "verify_live_command",
]

F = TypeVar("F", bound=Callable[..., Any])

BASE_URL_AMBIGUOUS = (
    "{value!r} names no provider, and this run calls {providers}; write PROVIDER=URL, "
    "once per provider"
)


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """`--base-url` and the time limits of live calls, as given to `record` or `verify`."""

    base_urls: tuple[str, ...]
    retries: int
    backoff: float
    max_wait: float
    timeout: float
    deadline: float
    given: tuple[str, ...]  # the options set on the command line, e.g. ("--retries",)

    def policy(self) -> RetryPolicy:
        from ..live.caller import RetryPolicy

        return RetryPolicy(
            retries=self.retries,
            backoff=self.backoff,
            max_wait=self.max_wait,
            connect_timeout=min(self.timeout, 10.0),
            read_timeout=self.timeout,
            deadline=self.deadline,
        )


NAMES = ("base_urls", "retries", "backoff", "max_wait", "timeout", "deadline")


def network_options(func: F) -> F:
    """The live-call options, handed to the command as one `live_options` argument."""

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        given = tuple(
            "--" + ("base-url" if name == "base_urls" else name.replace("_", "-"))
            for name in NAMES
            if context.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
        )
        values = {name: kwargs.pop(name) for name in NAMES}
        return func(*args, live_options=LiveOptions(**values, given=given), **kwargs)

    options = [
        click.option(
            "--base-url",
            "base_urls",
            multiple=True,
            metavar="[PROVIDER=]URL",
            help="Call URL instead of the manifest's base_url (e.g. a `contracts "
            "serve` on 127.0.0.1); PROVIDER= when several are called.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 10),
            default=3,
            show_default=True,
            help="Retries of a call answered 429/5xx, reset, timed out or cut short.",
        ),
        click.option(
            "--backoff",
            type=Seconds(0, 60),
            default=1.0,
            show_default=True,
            metavar="SECONDS",
            help="First wait between attempts; doubles each retry.",
        ),
        click.option(
            "--max-wait",
            type=Seconds(0, 600),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="Cap on any one wait, a provider's Retry-After included.",
        ),
        click.option(
            "--timeout",
            type=Seconds(0.01, 600),
            default=60.0,
            show_default=True,
            metavar="SECONDS",
            help="Connect and read timeout of each attempt.",
        ),
        click.option(
            "--deadline",
            type=Seconds(0.01, 3600),
            default=180.0,
            show_default=True,
            metavar="SECONDS",
            help="Total time for one call, every attempt and wait included.",
        ),
    ]
    decorated: Any = command
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def base_urls_for(values: tuple[str, ...], providers: list[str]) -> dict[str, str]:
    """`--base-url` values as {provider: URL}; a bare URL is for the only provider called."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or name.startswith(("http://", "https://")):
            name, url = "", value
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(
                f"{value!r} is not an http:// or https:// URL", param_hint="--base-url"
            )
        if not name:
            if len(providers) != 1:
                raise click.BadParameter(
                    BASE_URL_AMBIGUOUS.format(value=value, providers=", ".join(providers)),
                    param_hint="--base-url",
                )
            name = providers[0]
        if name not in providers:
            raise click.BadParameter(
                f"{value!r} names {name!r}, which this run does not call ({', '.join(providers)})",
                param_hint="--base-url",
            )
        found[name] = url.rstrip("/")
    return found


def verify_live_command(
    project: Any,
    endpoints: list[Any],
    scratch: str | None,
    live: LiveOptions,
) -> Any:
    """`contracts verify --live`: the live result, and where its recordings went."""
    import os
    from pathlib import Path

    from ..files import display
    from ..verify.live import keys_for, scratch_folder, verify_live

    providers = list(dict.fromkeys(e.provider for e in endpoints))
    urls = base_urls_for(live.base_urls, providers)
    keys_for(endpoints, project.registry, os.environ)  # before anything is made on disk
    folder = scratch_folder(project.root, project.cassettes, Path(scratch) if scratch else None)
    result = verify_live(
        endpoints,
        project.registry,
        project.cassettes,
        folder,
        os.environ,
        base_urls=urls,
        policy=live.policy(),
        log=lambda line: click.echo(line, err=True),
    )
    click.echo(f"live recordings in {display(folder)}", err=True)
    return result
