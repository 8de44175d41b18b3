"""`contracts record`: refresh a provider's cassettes from live calls, on purpose."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from ..project import Project
from ..words import count
from ._live import LiveOptions, base_urls_for, network_options

if TYPE_CHECKING:
    from ..drift.findings import Finding
    from ..live.probes import Probe
    from ..live.record import Refreshed, Unreached

EXAMPLES = """
\b
Examples:
  contracts record openrouter --dry-run
  OPENROUTER_API_KEY=... contracts record openrouter
  STRIPE_API_KEY=sk_test_... contracts record stripe --endpoint checkout_session_retrieve
  contracts record openrouter --base-url http://127.0.0.1:8000/api/v1 --scratch /tmp/rec
\b
Nothing is written unless every call answered; then each cassette is replaced
atomically. Exit 0 when written, 1 when written but the new answers violate the
contract or drift in a breaking way, 2 on bad input (a missing key), 3 when a
provider could not be reached (nothing written).
"""

NOTHING_WRITTEN = (
    "could not verify {provider}: {count} of {total} calls got no usable answer; "
    "nothing was written, the committed cassettes are unchanged"
)
SHOWN_DRIFT = ("breaking", "risky", "additive")
ELSEWHERE_INTO_CASSETTES = (
    "--base-url {url}: not {provider}'s base_url ({manifest}), so its answers must not "
    "replace the committed cassettes; add --scratch DIR to record them there"
)


@click.command("record", epilog=EXAMPLES)
@click.argument("provider_name", metavar="PROVIDER")
@click.option(
    "--endpoint",
    "endpoint_names",
    multiple=True,
    metavar="ENDPOINT",
    help="Record only this endpoint (repeatable); the endpoints it needs an id "
    "from are called too.",
)
@click.option("--dry-run", is_flag=True, help="List the calls and their cost; make none.")
@click.option(
    "--scratch",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write the new cassettes under DIR, not cassettes/ (needed with a --base-url "
    "other than the manifest's; such a recording says recorded_live: false).",
)
@network_options
@click.pass_obj
def command(
    project: Project,
    provider_name: str,
    endpoint_names: tuple[str, ...],
    dry_run: bool,
    scratch: str | None,
    live_options: LiveOptions,
) -> None:
    """Call PROVIDER's endpoints live, scrub, validate, show the drift, replace the cassettes.

    The key comes only from the provider's environment variable (its manifest's
    auth.env).
    """
    from ..contract.schemas import store_for
    from ..errors import CouldNotVerify
    from ..live.credentials import key_for
    from ..live.probes import plan
    from ..live.record import Refreshed, record_provider, write

    registry = project.registry
    provider = registry.provider(provider_name)
    endpoints = (
        [registry.endpoint(f"{provider.name}/{name}") for name in endpoint_names]
        if endpoint_names
        else list(provider.endpoints.values())
    )
    base_url = base_urls_for(live_options.base_urls, [provider.name]).get(provider.name)
    if dry_run:
        _dry_run(plan(provider, endpoints, base_url), provider.auth.env)
        return
    elsewhere = base_url is not None and base_url != provider.base_url.rstrip("/")
    if elsewhere and scratch is None:
        raise click.BadParameter(
            ELSEWHERE_INTO_CASSETTES.format(
                url=base_url, provider=provider.name, manifest=provider.base_url
            ),
            param_hint="--base-url",
        )
    key = key_for(provider, os.environ)
    target = project.cassettes
    if scratch is not None:
        from pathlib import Path

        from ..verify.live import scratch_folder

        target = scratch_folder(project.root, project.cassettes, Path(scratch))
    recorded = record_provider(
        provider,
        endpoints,
        key=key,
        target=target,
        committed=project.cassettes,
        store=store_for(project.contracts),
        base_url=base_url,
        policy=live_options.policy(),
        log=lambda line: click.echo(line, err=True),
    )
    for item in recorded:
        for line in _describe(item):
            click.echo(line)
    unreached = [item for item in recorded if not isinstance(item, Refreshed)]
    if unreached:
        raise CouldNotVerify(
            NOTHING_WRITTEN.format(
                provider=provider.name, count=len(unreached), total=len(recorded)
            )
        )
    from ..files import display

    for path in write(recorded):
        click.echo(f"wrote {display(path)}")
    broken = [
        r
        for r in recorded
        if isinstance(r, Refreshed) and r.wanted and (r.check.violations or r.breaking)
    ]
    if broken:
        click.echo(
            f"{count(len(broken), 'endpoint')} answered against the "
            "contract or drifted in a breaking way: review before committing"
        )
    click.get_current_context().exit(1 if broken else 0)


def _dry_run(probes: list[Probe], var: str) -> None:
    total = 0.0
    width = max((len(p.endpoint.id) for p in probes), default=0)
    for probe in probes:
        total += probe.cost_usd
        needs = "".join(f" ({n.param} from {n.endpoint})" for n in probe.needs)
        extra = "" if probe.wanted else "  [needed by a later call]"
        click.echo(
            f"{probe.endpoint.id.ljust(width)}  {probe.method:<6} {probe.url}{needs}"
            f"  ~{_usd(probe.cost_usd)}{extra}"
        )
    state = "is set" if os.environ.get(var) else "is not set: export it before recording"
    click.echo(
        f"{count(len(probes), 'call')}, estimated cost {_usd(total)}; none made (--dry-run); {var} {state}"
    )


def _describe(item: Refreshed | Unreached) -> list[str]:
    from ..live.record import Unreached
    from ..reports.text import render_finding

    endpoint = item.endpoint.id
    if isinstance(item, Unreached):
        return [f"SKIP {endpoint}  {item.reason.removeprefix(endpoint + ': ')}"]
    check = item.check
    attempts = f", {item.attempts} attempts" if item.attempts > 1 else ""
    counts = _counts(item.drift)
    drift = (
        f", drift: {counts}"
        if counts
        else (", no drift" if item.previous else ", no committed cassette")
    )
    bad = check.violations or item.breaking
    lines = [f"{'FAIL' if bad else 'ok  '} {endpoint}  HTTP {check.status}{attempts}{drift}"]
    for finding in item.drift:
        if finding.severity in SHOWN_DRIFT:
            lines.append("     " + render_finding(finding))
    for violation in check.violations:
        lines.extend("     " + line for line in violation.lines(endpoint))
    return lines


def _counts(findings: tuple[Finding, ...]) -> str:
    tally: dict[str, int] = {}
    for finding in findings:
        tally[finding.severity] = tally.get(finding.severity, 0) + 1
    order = [*SHOWN_DRIFT, "noise"]
    return ", ".join(f"{tally[s]} {s}" for s in order if s in tally)


def _usd(amount: float) -> str:
    """Dollars as a person writes them: $0.00002, not $2e-05."""
    return "$" + (f"{amount:.6f}".rstrip("0").rstrip(".") or "0")
