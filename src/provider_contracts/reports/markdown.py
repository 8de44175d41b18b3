"""The result as a Markdown page, fit for a GitHub job summary: read in a minute.

First the verdict and one table of every provider's endpoints with an outcome mark,
then each breaking drift finding (path, old and new shape), then the violations, then
what could not be verified. Long lists are cut with a pointer to the JSON report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..drift.findings import Finding, one_line
from ..verify.offline import EndpointResult, VerifyResult
from ..words import count

__all__ = ["render"]

MARK = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "unverified": "⚠️ could not verify",
    "missing": "❔ no cassette",
}
VERDICT = {
    0: "✅ everything holds",
    1: "❌ contract violated",
    2: "❔ cassettes missing",
    3: "⚠️ could not verify",
}
LIMIT = 20  # violations or findings shown per endpoint; the JSON report has them all
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def render(result: VerifyResult) -> str:
    lines = [f"## Provider contracts: {VERDICT[result.exit_code]}", "", _context(result), ""]
    lines += _table(result)
    breaking = [(e, f) for e in result.endpoints for f in e.drift if f.severity == "breaking"]
    if breaking:
        lines += ["", f"### Breaking drift ({len(breaking)})", ""]
        lines += _findings(breaking)
    if result.count("violations"):
        lines += ["", f"### Violations ({result.count('violations')})", ""]
        for endpoint in result.endpoints:
            lines += _violations(endpoint)
    unverified = [e for e in result.endpoints if e.outcome in ("unverified", "missing")]
    if unverified:
        lines += ["", f"### Not verified ({len(unverified)})", ""]
        lines += [f"- **{e.endpoint}**: {_text(e.note or MARK[e.outcome])}" for e in unverified]
    risky = [(e, f) for e in result.endpoints for f in e.drift if f.severity == "risky"]
    if risky:
        lines += ["", f"### Risky drift, not blocking ({len(risky)})", ""]
        lines += _findings(risky)
    return "\n".join(lines) + "\n"


def _context(result: VerifyResult) -> str:
    mode = (
        "Live calls, diffed against the committed cassettes"
        if result.mode == "live"
        else "Offline, on the committed cassettes"
    )
    when = result.started_at.strftime("%Y-%m-%d %H:%M UTC")
    violations = result.count("violations")
    return (
        f"{mode}, {when}: {len(result.endpoints)} endpoints, "
        f"{result.count('interactions')} interactions, "
        f"{count(violations, 'violation')}."
    )


def _table(result: VerifyResult) -> list[str]:
    live = result.mode == "live" or any(e.drift for e in result.endpoints)
    head = "| provider | endpoint | outcome | interactions |" + (" drift |" if live else "")
    rule = "|---|---|---|---:|" + ("---|" if live else "")
    rows = [head + " cassette |", rule + "---|"]
    for e in result.endpoints:
        outcome = MARK[e.outcome]
        if e.violations:
            outcome += f" ({count(len(e.violations), 'violation')})"
        cells = [e.provider, f"`{e.endpoint.partition('/')[2]}`", outcome, str(len(e.interactions))]
        if live:
            cells.append(_drift_counts(e))
        cells.append(_cell(_provenance(e.provenance)))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _drift_counts(endpoint: EndpointResult) -> str:
    counts: dict[str, int] = {}
    for finding in endpoint.drift:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return ", ".join(f"{n} {severity}" for severity, n in counts.items()) or "none"


def _provenance(provenance: Mapping[str, Any]) -> str:
    if provenance.get("recorded_live"):
        return f"recorded live {provenance.get('recorded_at', '')}".strip()
    if provenance.get("recorded_from"):
        return f"not live: recorded from {provenance['recorded_from']}"
    source = provenance.get("source")
    return f"from {str(source).split(' (')[0]}" if source else ""


def _findings(found: list[tuple[EndpointResult, Finding]]) -> list[str]:
    lines: list[str] = []
    shown: dict[str, int] = {}
    for endpoint, finding in found:
        shown[endpoint.endpoint] = shown.get(endpoint.endpoint, 0) + 1
        if shown[endpoint.endpoint] > LIMIT:
            continue
        reason = f": {_text(finding.reason)}" if finding.reason else ""
        lines.append(
            f"- **{endpoint.endpoint}** {_code(finding.location)} {_text(finding.what)}, "
            f"{_code(one_line(finding.old))} → {_code(one_line(finding.new))}{reason}"
        )
    lines += _cut(shown, "findings")
    return lines


def _violations(endpoint: EndpointResult) -> list[str]:
    lines: list[str] = []
    found = endpoint.violations
    for interaction, violation in found[:LIMIT]:
        lines.append(
            f"- **{endpoint.endpoint}** {_code(interaction.cassette)} {_text(interaction.label)} "
            f"(status {interaction.status}) at {_code(violation.location)}: {_text(violation.message)}"
        )
        details = []
        if violation.schema_path:
            details.append(f"schema {_code(violation.schema_path)}")
        if violation.excerpt:
            details.append(f"got {_code(violation.excerpt)}")
        if details:
            lines.append("  - " + ", ".join(details))
    lines += _cut({endpoint.endpoint: len(found)}, "violations")
    return lines


def _cut(counts: Mapping[str, int], what: str) -> list[str]:
    return [
        f"- **{name}**: {count - LIMIT} more {what}, in the JSON report"
        for name, count in counts.items()
        if count > LIMIT
    ]


def _code(text: str) -> str:
    """An inline code span that holds any text, backticks included."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cell(text: str) -> str:
    return _text(text)
