"""The result as a person reads it in a terminal: one line per endpoint, then each violation."""

from __future__ import annotations

from ..drift.findings import Finding
from ..verify.offline import EndpointResult, VerifyResult
from ..words import count

__all__ = ["render", "render_finding"]

MARK = {"pass": "ok  ", "fail": "FAIL", "missing": "MISS", "unverified": "SKIP"}


def render(result: VerifyResult) -> str:
    lines: list[str] = []
    width = max((len(e.endpoint) for e in result.endpoints), default=0)
    for endpoint in result.endpoints:
        lines.append(
            f"{MARK[endpoint.outcome]} {endpoint.endpoint.ljust(width)}  {_summary(endpoint)}"
        )
        for interaction, violation in endpoint.violations:
            where = f"{interaction.cassette} {interaction.label} (status {interaction.status})"
            lines.extend("     " + line for line in violation.lines(where))
        lines.extend("     " + render_finding(f) for f in endpoint.drift if f.severity != "noise")
        if endpoint.note:
            lines.append(f"     {endpoint.note}")
    lines.append(_totals(result))
    return "\n".join(lines) + "\n"


def render_finding(finding: Finding) -> str:
    """One drift finding: `breaking choices[].finish_reason: removed (string -> absent); why`."""
    reason = f"; {finding.reason}" if finding.reason else ""
    return (
        f"{finding.severity:<8} {finding.location}: {finding.what} ({finding.transition}){reason}"
    )


def _summary(endpoint: EndpointResult) -> str:
    if endpoint.outcome == "missing":
        return "no cassette"
    if endpoint.outcome == "unverified":
        return "not verified"
    parts = [count(len(endpoint.interactions), "interaction")]
    errors = sum(i.branch == "error" and i.status < 300 for i in endpoint.interactions)
    if errors:
        parts.append(f"{errors} took the error branch under a 2xx status")
    if endpoint.violations:
        parts.append(count(len(endpoint.violations), "violation"))
    live = endpoint.provenance.get("recorded_live")
    source = endpoint.provenance.get("recorded_at") if live else endpoint.provenance.get("source")
    if elsewhere := endpoint.provenance.get("recorded_from"):
        parts.append(f"not live, recorded from {elsewhere} (--base-url)")
    elif isinstance(source, str):
        source = source.split(" (")[0]
        parts.append(f"{'recorded live' if live else 'not live, built from'} {source}")
    return ", ".join(parts)


def _totals(result: VerifyResult) -> str:
    providers = ", ".join(result.providers) or "nothing"
    verdict = {
        0: "everything holds",
        1: "contract violated",
        2: "cassettes missing",
        3: "could not verify",
    }[result.exit_code]
    counts = (
        count(len(result.endpoints), "endpoint"),
        count(result.count("interactions"), "interaction"),
        count(result.count("violations"), "violation"),
    )
    return f"{providers}: {', '.join(counts)}: {verdict}"
