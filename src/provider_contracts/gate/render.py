"""The verdict for people (a few lines) and for machines (`--format json`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..words import count
from .verdict import GateResult, human
from .waivers import Waiver

__all__ = ["render", "to_dict"]

SHOWN_PER_ENDPOINT = 3  # blocking lines printed per endpoint; --format json has them all


def render(result: GateResult) -> str:
    """A few lines: each reason to block (a handful per endpoint), notes, then the verdict."""
    lines: list[str] = []
    shown: dict[str, int] = {}
    for blocker in result.blockers:
        shown[blocker.subject] = shown.get(blocker.subject, 0) + 1
        if shown[blocker.subject] <= SHOWN_PER_ENDPOINT:
            lines.append(f"BLOCK {blocker}")
    for subject, number in shown.items():
        if number > SHOWN_PER_ENDPOINT:
            lines.append(
                f"BLOCK {subject}: {number - SHOWN_PER_ENDPOINT} more (`--format json` lists them all)"
            )
    lines += [f"note  {note}" for note in result.notes]
    if result.waived:
        endpoints = sorted({endpoint for endpoint, _, _ in result.waived})
        lines.append(
            f"note  {count(len(result.waived), 'finding')} waived on {', '.join(endpoints)}"
        )
    reports = count(len(result.reports), "report")
    if result.passed:
        oldest = max((result.now - r.finished_at for r in result.reports), default=timedelta())
        lines.append(
            f"gate: pass: {result.covered} of {result.endpoints} endpoints covered by {reports} "
            f"(oldest {human(oldest)}), no violation or breaking drift"
            + (f" read by {result.consumer}" if result.consumer else "")
        )
    else:
        lines.append(
            f"gate: blocked, {count(len(result.blockers), 'reason')}; "
            f"{result.covered} of {result.endpoints} endpoints covered by {reports}"
        )
    return "\n".join(lines) + "\n"


def to_dict(result: GateResult) -> dict[str, Any]:
    return {
        "verdict": "pass" if result.passed else "blocked",
        "exit_code": result.exit_code,
        "now": result.now.isoformat(),
        "max_age_seconds": int(result.max_age.total_seconds()),
        "endpoints": result.endpoints,
        "covered": result.covered,
        "reports": [
            {
                "path": r.path,
                "mode": r.mode,
                "finished_at": r.finished_at.isoformat(),
                "age_seconds": int((result.now - r.finished_at).total_seconds()),
            }
            for r in result.reports
        ],
        "blockers": [
            {
                "kind": b.kind,
                "subject": b.subject,
                "problem": b.problem,
                "fix": b.fix,
                "expired_waiver": _waiver_dict(b.expired) if b.expired else None,
            }
            for b in result.blockers
        ],
        "waived": [
            {"endpoint": endpoint, "finding": path, "waiver": _waiver_dict(w)}
            for endpoint, path, w in result.waived
        ],
        "notes": list(result.notes),
        "consumer": result.consumer,
        "findings": [
            {
                "endpoint": f.endpoint,
                "kind": f.kind,
                "path": f.path,
                "problem": f.problem,
                "read_by": list(f.read_by),
                "status": f.status,
            }
            for f in result.findings
        ],
    }


def _waiver_dict(waiver: Waiver) -> dict[str, str]:
    return {
        "endpoint": waiver.endpoint,
        "finding": waiver.finding,
        "reason": waiver.reason,
        "who": waiver.who,
        "expires": waiver.expires.isoformat(),
    }
