"""Reading a verify report back: the JSON that `contracts verify --report json:PATH` writes.

A file that is not a verify report is an input error (`ReportError`), never a silent
pass. Drift findings are read in one place, `_findings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..cassettes.age import timestamp
from ..drift.findings import Finding
from ..errors import ReportError
from ..files import display, read_json
from ..reports.json import SCHEMA_VERSION

__all__ = ["Report", "ReportedEndpoint", "ReportedViolation", "read_report"]

# User-facing messages, kept here so tests can assert them.
REPORT_FIX = "give the JSON file that `contracts verify --report json:PATH` writes"
NOT_A_REPORT = "{where}: not a verify report ({detail}); " + REPORT_FIX
WRONG_VERSION = (
    "{where}: report_version {found!r}, but this gate reads version {expected}; "
    "write the report with the same provider-contracts version that runs the gate"
)


@dataclass(frozen=True, slots=True)
class ReportedViolation:
    """A violation as a report holds it: where in the body, and what was wrong."""

    instance_path: str
    message: str
    where: str  # cassette and interaction, e.g. `cassettes/acme/chat.json #0 completion`


@dataclass(frozen=True, slots=True)
class ReportedEndpoint:
    endpoint: str
    outcome: str
    note: str | None
    violations: tuple[ReportedViolation, ...]
    drift: tuple[Finding, ...]

    @property
    def provider(self) -> str:
        return self.endpoint.partition("/")[0]

    @property
    def name(self) -> str:
        return self.endpoint.partition("/")[2]


@dataclass(frozen=True, slots=True)
class Report:
    """One verify report, as far as the gate reads it."""

    path: str  # as the user should read it
    mode: str
    finished_at: datetime
    endpoints: tuple[ReportedEndpoint, ...]
    base_urls: Mapping[str, str] = field(default_factory=dict)  # called instead of manifests'

    @property
    def providers(self) -> list[str]:
        return list(dict.fromkeys(e.provider for e in self.endpoints))


def read_report(path: Path) -> Report:
    """Read a JSON report written by `contracts verify --report json:PATH`."""
    where = display(path)
    data = read_json(path, ReportError, fix=REPORT_FIX)
    if not isinstance(data, dict) or "report_version" not in data:
        raise ReportError(NOT_A_REPORT.format(where=where, detail="no report_version"))
    if data["report_version"] != SCHEMA_VERSION:
        raise ReportError(
            WRONG_VERSION.format(where=where, found=data["report_version"], expected=SCHEMA_VERSION)
        )

    def fail(detail: str) -> ReportError:
        return ReportError(NOT_A_REPORT.format(where=where, detail=detail))

    finished = timestamp(data.get("finished_at"))
    if finished is None:
        raise fail("finished_at is not an ISO 8601 time")
    entries = data.get("endpoints")
    if not isinstance(entries, list):
        raise fail("endpoints is not a list")
    endpoints = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise fail(f"endpoints[{number}] is not an object")
        name, outcome = entry.get("endpoint"), entry.get("outcome")
        if not isinstance(name, str) or "/" not in name:
            raise fail(f"endpoints[{number}] has no PROVIDER/ENDPOINT name")
        if outcome not in ("pass", "fail", "missing", "unverified"):
            raise fail(f"endpoints[{number}] has an unknown outcome {outcome!r}")
        try:
            violations = tuple(_violations(entry.get("interactions") or []))
            drift = _findings(entry.get("drift") or [])
        except (AttributeError, TypeError) as exc:
            raise fail(f"endpoints[{number}] is malformed ({exc})") from exc
        note = entry.get("note")
        endpoints.append(
            ReportedEndpoint(
                name, outcome, note if isinstance(note, str) else None, violations, drift
            )
        )
    mode = data.get("mode")
    base_urls = data.get("base_urls") or {}
    if not isinstance(base_urls, dict):
        raise fail("base_urls is not an object")
    mode = mode if isinstance(mode, str) else "offline"
    return Report(
        where, mode, finished, tuple(endpoints), {str(k): str(v) for k, v in base_urls.items()}
    )


def _violations(interactions: Iterable[Mapping[str, Any]]) -> Iterable[ReportedViolation]:
    for interaction in interactions:
        label = f"#{interaction.get('index')}"
        if interaction.get("name"):
            label += f" {interaction['name']}"
        where = f"{interaction.get('cassette') or 'live'} {label}"
        for v in interaction.get("violations") or []:
            yield ReportedViolation(str(v.get("instance_path") or ""), str(v.get("message")), where)


def _findings(found: Iterable[Any]) -> tuple[Finding, ...]:
    """The drift findings of one reported endpoint (an unknown severity reads as breaking)."""
    return tuple(Finding.from_dict(d) for d in found)
