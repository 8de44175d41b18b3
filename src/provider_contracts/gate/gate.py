"""The staging deploy gate: may this build go to staging, given the latest verify reports?

A deploy may go ahead when every endpoint contract in `contracts/` is covered by a
report, no report is older than the allowed age, and nothing in them is a contract
violation or breaking drift, unless a committed waiver (`contracts/waivers.yaml`)
accepts it and has not expired. An endpoint that could not be verified blocks too,
unless the caller allows it. Each reason to block is one line: what, where, and what
to do about it.

The clock is a parameter (`now`): report age and waiver expiry are decided against it.
Reports are read through `read_report`; a file that is not a verify report is an input
error, never a silent pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ..drift.findings import Finding
from ..errors import BAD_FIELD, MISSING_FIELD, ContractError, InputError, ReportError
from ..files import display, read_json, read_yaml
from ..reports.json import SCHEMA_VERSION

__all__ = [
    "DEFAULT_MAX_AGE",
    "Blocker",
    "GateResult",
    "Report",
    "Waiver",
    "dotted",
    "evaluate",
    "load_waivers",
    "parse_duration",
    "read_report",
    "render",
    "to_dict",
]

DEFAULT_MAX_AGE = timedelta(hours=26)
WAIVERS_FILE = "contracts/waivers.yaml"
SHOWN_PER_ENDPOINT = 3  # blocking lines printed per endpoint; --format json has them all

# User-facing messages, kept here so tests can assert them.
REPORT_FIX = "give the JSON file that `contracts verify --report json:PATH` writes"
NOT_A_REPORT = "{where}: not a verify report ({detail}); " + REPORT_FIX
WRONG_VERSION = (
    "{where}: report_version {found!r}, but this gate reads version {expected}; "
    "write the report with the same provider-contracts version that runs the gate"
)
BAD_DURATION = "{value!r} is not a duration; use a number and a unit: 90m, 26h or 2d"
WAIVER_FIX = "each waiver needs endpoint, finding, reason, who and expires (see docs/nightly.md)"
STALE = "{age} old (finished {finished}), older than --max-age {max_age}"
STALE_FIX = "rerun the nightly (`gh workflow run contracts-nightly.yml`) or `contracts verify {names} --live --report json:{where}`"
UNCOVERED = "no report covers {what}"
UNCOVERED_FIX = (
    "check that the nightly verifies it and its job wrote a report, or run "
    "`contracts verify {name} --live --report json:reports/{file}.json`"
)
BREAKING = "breaking drift at {path} ({transition})"
VIOLATIONS = "{count} contract violation{s}, first at {location}: {message}"
REFRESH_FIX = (
    "refresh with `contracts record {provider} --endpoint {name}` after fixing the gateway, "
    "or waive it in {waivers}"
)
VIOLATION_FIX = (
    "if the provider changed, update the schema in contracts/{provider}/ and the gateway, "
    "then `contracts record {provider} --endpoint {name}`; or waive it in {waivers}"
)
EXPIRED = "the waiver of {finding!r} by {who} ({reason}) expired on {expires}, so it blocks again"
EXPIRED_FIX = "fix the cause, or renew the waiver's `expires` in {waivers} if it is still accepted"
UNVERIFIED = "could not verify ({note})"
UNVERIFIED_FIX = "rerun the nightly when the provider answers, or pass --allow-unverified"
MISSING = "no cassette to compare with ({note})"
MISSING_FIX = "record one with `contracts record {provider} --endpoint {name}` and commit it"
FAILED = "reported as failing ({note})"
FAILED_FIX = "read {where} and the verify run that wrote it"

Kind = Literal["stale", "uncovered", "violation", "breaking", "unverified", "missing", "failed"]


# --- reading reports -----------------------------------------------------------------------


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

    finished = _when(data.get("finished_at"))
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
            drift = tuple(Finding.from_dict(d) for d in entry.get("drift") or [])
        except (AttributeError, TypeError) as exc:
            raise fail(f"endpoints[{number}] is malformed ({exc})") from exc
        note = entry.get("note")
        endpoints.append(
            ReportedEndpoint(
                name, outcome, note if isinstance(note, str) else None, violations, drift
            )
        )
    mode = data.get("mode")
    return Report(where, mode if isinstance(mode, str) else "offline", finished, tuple(endpoints))


def _violations(interactions: Iterable[Mapping[str, Any]]) -> Iterable[ReportedViolation]:
    for interaction in interactions:
        label = f"#{interaction.get('index')}"
        if interaction.get("name"):
            label += f" {interaction['name']}"
        where = f"{interaction.get('cassette') or 'live'} {label}"
        for v in interaction.get("violations") or []:
            yield ReportedViolation(str(v.get("instance_path") or ""), str(v.get("message")), where)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --- waivers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiver:
    """Known, accepted drift or violation: until `expires` (inclusive), it does not block.

    `endpoint` and `finding` are matched whole; `*` in either matches any run of
    characters (`/` and `.` included). `finding` is a drift path (`data[].pricing.prompt`)
    or a violation's instance path (`/data/0/pricing/prompt`); a drift path also matches
    the violations at that place, so one waiver accepts one change.
    """

    endpoint: str
    finding: str
    reason: str
    who: str
    expires: date

    def matches(self, endpoint: str, *paths: str) -> bool:
        """Whether this waiver names the endpoint and any of the paths of one finding."""
        return self.names(endpoint) and self.covers(*paths)

    def names(self, endpoint: str) -> bool:
        return _glob(self.endpoint).fullmatch(endpoint) is not None

    def covers(self, *paths: str) -> bool:
        finding = _glob(self.finding)
        return any(finding.fullmatch(path) is not None for path in paths)

    def expired(self, now: datetime) -> bool:
        return now.astimezone(UTC).date() > self.expires


def dotted(pointer: str) -> str:
    """A violation's JSON pointer in the drift path form: `/data/0/pricing` -> `data[].pricing`.

    So one waiver (`finding: data[].pricing.prompt`) accepts both the drift and the
    violations the same change causes.
    """
    parts: list[str] = []
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if token.isdigit() and parts:
            parts[-1] += "[]"
        else:
            parts.append(token)
    return ".".join(parts)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


_WAIVER_FIELDS = ("endpoint", "finding", "reason", "who", "expires")


def load_waivers(path: Path, endpoints: Sequence[str]) -> tuple[Waiver, ...]:
    """The waivers in `path` (a YAML list), each checked against the known endpoint ids."""
    data = read_yaml(path, ContractError)
    if data is None:
        return ()
    where = display(path)
    if not isinstance(data, list):
        raise ContractError(f"{where}: must be a list of waivers; {WAIVER_FIX}")
    waivers = []
    for number, entry in enumerate(data, start=1):
        item = f"{where} (waiver {number})"
        if not isinstance(entry, dict):
            raise ContractError(f"{item}: must be a mapping; {WAIVER_FIX}")
        for key in entry:
            if key not in _WAIVER_FIELDS:
                problem = f"is not a waiver field ({', '.join(_WAIVER_FIELDS)})"
                raise ContractError(
                    BAD_FIELD.format(where=item, field=key, problem=problem, fix=WAIVER_FIX)
                )
        for key in _WAIVER_FIELDS:
            if entry.get(key) in (None, ""):
                raise ContractError(MISSING_FIELD.format(where=item, field=key, fix=WAIVER_FIX))
        expires = entry["expires"]
        if isinstance(expires, datetime):
            expires = expires.date()
        elif isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                expires = None
        if not isinstance(expires, date):
            problem = "must be a date such as 2025-07-01"
            raise ContractError(
                BAD_FIELD.format(where=item, field="expires", problem=problem, fix=WAIVER_FIX)
            )
        endpoint = str(entry["endpoint"])
        if not any(_glob(endpoint).fullmatch(known) for known in endpoints):
            close = get_close_matches(endpoint, list(endpoints), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problem = f"names {endpoint!r}, which is not an endpoint in contracts/{hint}"
            raise ContractError(
                BAD_FIELD.format(
                    where=item,
                    field="endpoint",
                    problem=problem,
                    fix="`contracts list` shows them all",
                )
            )
        waivers.append(
            Waiver(
                endpoint, str(entry["finding"]), str(entry["reason"]), str(entry["who"]), expires
            )
        )
    return tuple(waivers)


# --- the verdict ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Blocker:
    """One reason not to deploy: `subject: problem; fix`."""

    kind: Kind
    subject: str  # an endpoint id, a provider, or a report file
    problem: str
    fix: str
    expired: Waiver | None = None  # the waiver that would have accepted it, had it not expired

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}; {self.fix}"


@dataclass(frozen=True, slots=True)
class GateResult:
    now: datetime
    max_age: timedelta
    reports: tuple[Report, ...]
    blockers: tuple[Blocker, ...]
    notes: tuple[str, ...] = ()
    covered: int = 0
    endpoints: int = 0
    waived: tuple[tuple[str, str, Waiver], ...] = field(default=())  # (endpoint, path, waiver)

    @property
    def passed(self) -> bool:
        return not self.blockers

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def parse_duration(text: str) -> timedelta:
    """`90m`, `26h`, `2d`, `1d12h`: a number and a unit (s, m, h, d), repeated."""
    parts = re.fullmatch(r"(?:\d+[smhd])+", text.strip().lower())
    if not parts:
        raise InputError(BAD_DURATION.format(value=text))
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    total = timedelta()
    for number, letter in re.findall(r"(\d+)([smhd])", text.lower()):
        total += timedelta(**{unit[letter]: int(number)})
    return total


def evaluate(
    reports: Sequence[Report],
    endpoints: Sequence[str],
    *,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
    allow_unverified: bool = False,
    waivers: Sequence[Waiver] = (),
    waivers_file: str = WAIVERS_FILE,
) -> GateResult:
    """The gate's verdict on these reports for these endpoint ids, as of `now`."""
    blockers: list[Blocker] = []
    notes: list[str] = []
    waived: list[tuple[str, str, Waiver]] = []
    fresh: list[Report] = []
    stale_endpoints: set[str] = set()
    for report in reports:
        age = now - report.finished_at
        if age > max_age:
            names = " ".join(report.providers) or "--all"
            blockers.append(
                Blocker(
                    "stale",
                    report.path,
                    STALE.format(
                        age=_human(age),
                        finished=_stamp(report.finished_at),
                        max_age=_human(max_age),
                    ),
                    STALE_FIX.format(names=names, where=report.path),
                )
            )
            stale_endpoints.update(e.endpoint for e in report.endpoints)
        else:
            fresh.append(report)
        if report.mode != "live":
            notes.append(
                f"{report.path}: an offline report; it checks the committed cassettes, "
                "not what the providers answer today"
            )
    # The newest fresh report on an endpoint speaks for it.
    latest: dict[str, tuple[Report, ReportedEndpoint]] = {}
    for report in sorted(fresh, key=lambda r: r.finished_at):
        for entry in report.endpoints:
            latest[entry.endpoint] = (report, entry)
    known = set(endpoints)
    for name in sorted(set(latest) - known):
        notes.append(f"{name}: in {latest[name][0].path} but not in contracts/; ignored")
    blockers += _uncovered(
        [e for e in endpoints if e not in latest and e not in stale_endpoints], endpoints
    )
    judge = _Judge(now, waivers, waivers_file, allow_unverified, blockers, notes, waived)
    for name in endpoints:
        if name in latest:
            judge.endpoint(*latest[name])
    if judge.risky:
        shown = ", ".join(list(judge.risky)[:3]) + (", ..." if len(judge.risky) > 3 else "")
        notes.append(
            f"risky drift, not blocking: {sum(judge.risky.values())} finding(s) on "
            f"{len(judge.risky)} endpoint(s) ({shown}); the reports list them"
        )
    for waiver in waivers:
        if waiver.expired(now) and not any(b.expired is waiver for b in blockers):
            notes.append(
                f"{waivers_file}: the waiver of {waiver.finding!r} on {waiver.endpoint} expired on "
                f"{waiver.expires} and matches nothing now; remove it"
            )
    return GateResult(
        now=now,
        max_age=max_age,
        reports=tuple(reports),
        blockers=tuple(blockers),
        notes=tuple(notes),
        covered=sum(1 for e in endpoints if e in latest or e in stale_endpoints),
        endpoints=len(endpoints),
        waived=tuple(waived),
    )


def _uncovered(missing: list[str], endpoints: Sequence[str]) -> list[Blocker]:
    """One line per provider when none of its endpoints is covered, else one per endpoint."""
    blockers = []
    by_provider: dict[str, list[str]] = {}
    for name in missing:
        by_provider.setdefault(name.partition("/")[0], []).append(name)
    for provider, names in by_provider.items():
        whole = len(names) == sum(e.partition("/")[0] == provider for e in endpoints)
        for subject in [provider] if whole else names:
            what = "any of its endpoints" if whole else "this endpoint"
            file = subject.replace("/", "-")
            blockers.append(
                Blocker(
                    "uncovered",
                    subject,
                    UNCOVERED.format(what=what),
                    UNCOVERED_FIX.format(name=subject, file=file),
                )
            )
    return blockers


@dataclass(slots=True)
class _Judge:
    """Turns one endpoint's reported result into blockers, notes and waived findings."""

    now: datetime
    waivers: Sequence[Waiver]
    waivers_file: str
    allow_unverified: bool
    blockers: list[Blocker]
    notes: list[str]
    waived: list[tuple[str, str, Waiver]]
    risky: dict[str, int] = field(default_factory=dict)
    candidates: list[Waiver] = field(default_factory=list)  # the waivers naming this endpoint

    def endpoint(self, report: Report, entry: ReportedEndpoint) -> None:
        self.candidates = [w for w in self.waivers if w.names(entry.endpoint)]
        note = entry.note or "no reason given"
        names = {"provider": entry.provider, "name": entry.name, "waivers": self.waivers_file}
        if entry.outcome == "unverified":
            if self.allow_unverified:
                self.notes.append(
                    f"{entry.endpoint}: could not verify ({note}); allowed by --allow-unverified"
                )
            else:
                self.block(
                    "unverified", entry.endpoint, UNVERIFIED.format(note=note), UNVERIFIED_FIX
                )
            return
        if entry.outcome == "missing":
            self.block(
                "missing", entry.endpoint, MISSING.format(note=note), MISSING_FIX.format(**names)
            )
            return
        blocking = self._violations(entry, names) + self._drift(entry, names)
        risky = sum(f.severity == "risky" for f in entry.drift)
        if risky:
            self.risky[entry.endpoint] = risky
        explained = entry.violations or any(f.severity == "breaking" for f in entry.drift)
        if entry.outcome == "fail" and not blocking and not explained:
            self.block(
                "failed",
                entry.endpoint,
                FAILED.format(note=note),
                FAILED_FIX.format(where=report.path),
            )

    def _violations(self, entry: ReportedEndpoint, names: Mapping[str, str]) -> int:
        open_: list[ReportedViolation] = []
        expired: dict[int, tuple[Waiver, list[ReportedViolation]]] = {}
        for violation in entry.violations:
            path = violation.instance_path
            aliases = (path or "/", dotted(path)) if self.candidates else ()
            state, waiver = self.waiver_for(entry.endpoint, *aliases)
            if state == "waived":
                continue
            if state == "expired" and waiver is not None:
                expired.setdefault(id(waiver), (waiver, []))[1].append(violation)
            else:
                open_.append(violation)
        fix = VIOLATION_FIX.format(**names)
        if open_:
            self.block("violation", entry.endpoint, _violations_problem(open_), fix)
        for waiver, violations in expired.values():
            problem = f"{_violations_problem(violations)}; {_expired(waiver)}"
            self.block("violation", entry.endpoint, problem, EXPIRED_FIX.format(**names), waiver)
        return len(open_) + len(expired)

    def _drift(self, entry: ReportedEndpoint, names: Mapping[str, str]) -> int:
        count = 0
        for finding in entry.drift:
            if finding.severity != "breaking":
                continue
            state, waiver = self.waiver_for(entry.endpoint, finding.location)
            if state == "waived":
                continue
            count += 1
            problem = BREAKING.format(path=finding.location, transition=finding.transition)
            if state == "expired" and waiver is not None:
                self.block(
                    "breaking",
                    entry.endpoint,
                    f"{problem}; {_expired(waiver)}",
                    EXPIRED_FIX.format(**names),
                    waiver,
                )
            else:
                self.block("breaking", entry.endpoint, problem, REFRESH_FIX.format(**names))
        return count

    def waiver_for(self, endpoint: str, *paths: str) -> tuple[str, Waiver | None]:
        """Whether a finding is waived (a waiver in force), expired (only expired ones match) or open."""
        matching = [w for w in self.candidates if w.covers(*paths)]
        active = [w for w in matching if not w.expired(self.now)]
        if active:
            self.waived.append((endpoint, paths[0], active[0]))
            return "waived", active[0]
        if matching:
            return "expired", max(matching, key=lambda w: w.expires)
        return "open", None

    def block(
        self, kind: Kind, subject: str, problem: str, fix: str, waiver: Waiver | None = None
    ) -> None:
        self.blockers.append(Blocker(kind, subject, problem, fix, waiver))


def _violations_problem(violations: Sequence[ReportedViolation]) -> str:
    first = violations[0]
    return VIOLATIONS.format(
        count=len(violations),
        s="s" * (len(violations) != 1),
        location=f"{first.instance_path or '/'} in {first.where}",
        message=first.message,
    )


def _expired(waiver: Waiver) -> str:
    return EXPIRED.format(
        finding=waiver.finding, who=waiver.who, reason=waiver.reason, expires=waiver.expires
    )


def _human(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days >= 2:
        return f"{days}d{hours}h" if hours else f"{days}d"
    hours += days * 24
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- output --------------------------------------------------------------------------------


def render(result: GateResult) -> str:
    """A few lines: each reason to block (a handful per endpoint), notes, then the verdict."""
    lines: list[str] = []
    shown: dict[str, int] = {}
    for blocker in result.blockers:
        shown[blocker.subject] = shown.get(blocker.subject, 0) + 1
        if shown[blocker.subject] <= SHOWN_PER_ENDPOINT:
            lines.append(f"BLOCK {blocker}")
    for subject, count in shown.items():
        if count > SHOWN_PER_ENDPOINT:
            lines.append(
                f"BLOCK {subject}: {count - SHOWN_PER_ENDPOINT} more (`--format json` lists them all)"
            )
    lines += [f"note  {note}" for note in result.notes]
    if result.waived:
        endpoints = sorted({endpoint for endpoint, _, _ in result.waived})
        lines.append(f"note  {len(result.waived)} finding(s) waived on {', '.join(endpoints)}")
    reports = f"{len(result.reports)} report{'s' * (len(result.reports) != 1)}"
    if result.passed:
        oldest = max((result.now - r.finished_at for r in result.reports), default=timedelta())
        lines.append(
            f"gate: pass: {result.covered} of {result.endpoints} endpoints covered by {reports} "
            f"(oldest {_human(oldest)}), no violation or breaking drift"
        )
    else:
        count = len(result.blockers)
        lines.append(
            f"gate: blocked, {count} reason{'s' * (count != 1)}; "
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
    }


def _waiver_dict(waiver: Waiver) -> dict[str, str]:
    return {
        "endpoint": waiver.endpoint,
        "finding": waiver.finding,
        "reason": waiver.reason,
        "who": waiver.who,
        "expires": waiver.expires.isoformat(),
    }
