"""`contracts new`: scaffold an OpenAI-compatible provider from the shared shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..project import Project

EXAMPLES = """
\b
Examples:
  contracts new together --openai-compatible \\
      --base-url https://api.together.xyz/v1 --key-env TOGETHER_API_KEY
  contracts new acme --openai-compatible --base-url https://llm.acme.dev/v1 \\
      --key-env ACME_KEY --auth-header x-api-key --auth-scheme "" --title "Acme LLM"
"""

ONLY_OPENAI_COMPATIBLE = (
    "only OpenAI-compatible providers can be scaffolded for now: pass --openai-compatible "
    "(write other providers' contracts by hand, as contracts/README.md describes)"
)


def _checked(field: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that rejects a value with the scaffold's own message for that field."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        from ..scaffold import CHECKS

        if value is not None:
            problem = CHECKS[field](value)
            if problem is not None:
                raise click.BadParameter(problem, ctx=ctx, param=param)
        return value

    return callback


@click.command("new", epilog=EXAMPLES)
@click.argument("provider", callback=_checked("name"))
@click.option(
    "--openai-compatible",
    is_flag=True,
    help="Build on the shared OpenAI-compatible shapes (required: the only kind for now).",
)
@click.option(
    "--base-url",
    required=True,
    metavar="URL",
    callback=_checked("base_url"),
    help="The API's base URL (https://; http:// only to this machine); endpoint paths are "
    "appended to it.",
)
@click.option(
    "--key-env",
    required=True,
    metavar="VAR",
    callback=_checked("key_env"),
    help="The environment variable that holds the API key.",
)
@click.option(
    "--auth-header",
    default="Authorization",
    show_default=True,
    callback=_checked("auth_header"),
    help="The header that carries the key.",
)
@click.option(
    "--auth-scheme",
    default="Bearer",
    show_default=True,
    callback=_checked("auth_scheme"),
    help='Sent before the key ("Bearer KEY"); "" sends the bare key.',
)
@click.option("--title", help="The provider's display name [default: PROVIDER].")
@click.option("--model", help="The chat model the probes ask for (the cheapest one).")
@click.pass_obj
def command(
    project: Project,
    provider: str,
    openai_compatible: bool,
    base_url: str,
    key_env: str,
    auth_header: str,
    auth_scheme: str,
    title: str | None,
    model: str | None,
) -> None:
    """Scaffold PROVIDER's manifest and contracts from the shared OpenAI-compatible shapes.

    Writes contracts/PROVIDER/ (never over an existing one) and says what to do next.
    Exit 0 when written, 2 on bad input.
    """
    if not openai_compatible:
        raise click.UsageError(ONLY_OPENAI_COMPATIBLE)
    from ..files import display
    from ..scaffold import ENDPOINT_NAMES, NewProvider, scaffold

    spec = NewProvider(
        name=provider,
        base_url=base_url,
        key_env=key_env,
        auth_header=auth_header,
        auth_scheme=auth_scheme or None,
        title=title or None,
        model=model or None,
    )
    done = scaffold(project.contracts, spec)
    for path in done.files:
        click.echo(f"created {display(path)}")
    click.echo(f"\n{provider}: {len(ENDPOINT_NAMES)} endpoints ({', '.join(ENDPOINT_NAMES)}).")
    click.echo("Next:")
    step = 1
    if done.model_is_placeholder:
        where = display(done.folder / "endpoints")
        click.echo(
            f"  {step}. set the probe model (CHANGE-ME) in {where}/chat_completions.yaml "
            "and chat_completions_stream.yaml"
        )
        step += 1
    click.echo(f"  {step}. contracts record {provider}   (makes its cassettes; needs {key_env})")
    click.echo(f"  {step + 1}. contracts verify {provider}")
