"""The verdict: may this build go to staging, given the latest verify reports?

A deploy may go ahead when every endpoint contract in `contracts/` is covered by a
report, no report is older than the allowed age, and nothing in them is a contract
violation or breaking drift, unless a committed waiver accepts it and has not
expired. An endpoint that could not be verified blocks too, unless the caller allows
it. Each reason to block is one line: what, where, and what to do about it.

The clock is a parameter (`now`): report age and waiver expiry are decided against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from ..consumers.judge import read_by
from ..consumers.model import Consumer
from ..contract import fields as durations
from ..errors import InputError
from ..jsonpath import from_pointer
from ..words import count
from .report import Report, ReportedEndpoint, ReportedViolation
from .waivers import WAIVERS_FILE, Waiver

__all__ = [
    "DEFAULT_MAX_AGE",
    "Blocker",
    "GateFinding",
    "GateResult",
    "evaluate",
    "human",
    "parse_duration",
]

DEFAULT_MAX_AGE = timedelta(hours=26)
CLOCK_SKEW = timedelta(minutes=5)  # a report this far ahead of the gate's clock is not "future"

# User-facing messages, kept here so tests can assert them.
BAD_DURATION = "{value!r} is not a duration; use a number and a unit: 90m, 26h or 2d"
TOO_LONG = "{value!r} is longer than {longest}; give a shorter duration"
FUTURE = "finished {finished}, {ahead} after now ({now}): a report from the future proves nothing"
FUTURE_FIX = "check the clock of the machine that wrote it, then rerun the nightly"
OFFLINE = (
    "an offline report: it checks the committed cassettes, not what the providers answer today"
)
OFFLINE_FIX = "give the nightly's live reports (`verify --live`), or pass --allow-offline"
ELSEWHERE = (
    "called {urls} instead of the manifests' base_url (--base-url): no evidence about the providers"
)
ELSEWHERE_FIX = "give the nightly's live reports (no --base-url), or pass --allow-base-url"
NO_ENDPOINTS = (
    "{where}: no endpoint contracts, so nothing to gate; run the gate from the project "
    "that holds your contracts (--root DIR)"
)
STALE = "{age} old (finished {finished}), older than --max-age {max_age}"
STALE_FIX = "rerun the nightly (`gh workflow run contracts-nightly.yml`) or `contracts verify {names} --live --report json:{where}`"
UNCOVERED = "no report covers {what}"
UNCOVERED_FIX = (
    "check that the nightly verifies it and its job wrote a report, or run "
    "`contracts verify {name} --live --report json:reports/{file}.json`"
)
BREAKING = "breaking drift at {path} ({transition})"
VIOLATIONS = "{violations}, first at {location}: {message}"
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
NOT_READ = "not read by {consumer}: {problem}"
VIOLATION = "contract violation at {location}: {message}"

Kind = Literal[
    "future",
    "offline",
    "base_url",
    "stale",
    "uncovered",
    "violation",
    "breaking",
    "unverified",
    "missing",
    "failed",
]


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
class GateFinding:
    """A violation or breaking drift the gate judged, with the consumers that read it."""

    endpoint: str
    kind: Literal["violation", "breaking"]
    path: str  # a violation's JSON pointer, a drift path
    problem: str
    read_by: tuple[str, ...]  # the consumers (contracts/consumers/) that read it
    status: Literal["blocks", "waived", "not read"]


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
    consumer: str | None = None  # the consumer the findings were judged by
    findings: tuple[GateFinding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.blockers

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def parse_duration(text: str, longest: timedelta = timedelta(days=3650)) -> timedelta:
    """`90m`, `26h`, `2d`, `1d12h`: a number and a unit (s, m, h, d), repeated; at most `longest`."""
    found = durations.parse_duration(text)
    if found is None:
        raise InputError(BAD_DURATION.format(value=text))
    if found > longest:
        raise InputError(TOO_LONG.format(value=text, longest=human(longest)))
    return found


def evaluate(
    reports: Sequence[Report],
    endpoints: Sequence[str],
    *,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
    allow_unverified: bool = False,
    allow_offline: bool = False,
    allow_base_url: bool = False,
    waivers: Sequence[Waiver] = (),
    waivers_file: str = WAIVERS_FILE,
    consumers: Sequence[Consumer] = (),
    consumer: str | None = None,
) -> GateResult:
    """The gate's verdict on these reports for these endpoint ids, as of `now`.

    A report only counts as evidence when it is live (unless `allow_offline`), not from
    the future, not older than `max_age` and made against the manifests' base URLs (unless
    `allow_base_url`); the endpoints of one that does not count
    are blocked by that report's one line, not once each. `consumers` say, per finding, who
    reads it; with `consumer` (one of their names), a violation or breaking drift that
    consumer does not read, at its path or below, is a note ("not read by NAME") instead
    of a reason to block.
    """
    blockers: list[Blocker] = []
    notes: list[str] = []
    waived: list[tuple[str, str, Waiver]] = []
    fresh: list[Report] = []
    stale_endpoints: set[str] = set()
    for report in reports:
        age = now - report.finished_at
        offline = report.mode != "live"
        elsewhere = ELSEWHERE.format(
            urls=", ".join(f"{k}={v}" for k, v in report.base_urls.items())
        )
        blocker = None
        if age < -CLOCK_SKEW:
            ahead, finished = human(-age), _stamp(report.finished_at)
            problem = FUTURE.format(finished=finished, ahead=ahead, now=_stamp(now))
            blocker = Blocker("future", report.path, problem, FUTURE_FIX)
        elif offline and not allow_offline:
            blocker = Blocker("offline", report.path, OFFLINE, OFFLINE_FIX)
        elif report.base_urls and not allow_base_url:
            blocker = Blocker("base_url", report.path, elsewhere, ELSEWHERE_FIX)
        elif age > max_age:
            names = " ".join(report.providers) or "--all"
            finished = _stamp(report.finished_at)
            problem = STALE.format(age=human(age), finished=finished, max_age=human(max_age))
            blocker = Blocker(
                "stale", report.path, problem, STALE_FIX.format(names=names, where=report.path)
            )
        if blocker is None:
            fresh.append(report)
        else:
            blockers.append(blocker)
            stale_endpoints.update(e.endpoint for e in report.endpoints)
        if offline and allow_offline:
            notes.append(f"{report.path}: {OFFLINE}")
        if report.base_urls and allow_base_url:
            notes.append(f"{report.path}: {elsewhere}")
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
    judge.consumers, judge.consumer = consumers, consumer
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
        consumer=consumer,
        findings=tuple(judge.findings),
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
    consumers: Sequence[Consumer] = ()
    consumer: str | None = None
    findings: list[GateFinding] = field(default_factory=list)

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
            aliases = (path or "/", from_pointer(path)) if self.candidates else ()
            state, waiver = self.waiver_for(entry.endpoint, *aliases)
            problem = VIOLATION.format(location=path or "/", message=violation.message)
            read = read_by(self.consumers, entry.endpoint, path, violation.message)
            if not self.judged(entry.endpoint, "violation", path or "/", problem, read, state):
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
        blocked = 0
        for finding in entry.drift:
            if finding.severity != "breaking":
                continue
            state, waiver = self.waiver_for(entry.endpoint, finding.location)
            problem = BREAKING.format(path=finding.location, transition=finding.transition)
            read = read_by(self.consumers, entry.endpoint, finding.path)
            if not self.judged(entry.endpoint, "breaking", finding.location, problem, read, state):
                continue
            blocked += 1
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
        return blocked

    def judged(
        self,
        endpoint: str,
        kind: Literal["violation", "breaking"],
        path: str,
        problem: str,
        read: list[str],
        state: str,
    ) -> bool:
        """Keep the finding for the JSON report; whether it blocks (a waiver, or the consumer
        judged by not reading it, lets it pass)."""
        unread = self.consumer is not None and self.consumer not in read
        status: Literal["blocks", "waived", "not read"] = (
            "waived" if state == "waived" else "not read" if unread else "blocks"
        )
        self.findings.append(GateFinding(endpoint, kind, path, problem, tuple(read), status))
        if status == "not read":
            self.notes.append(
                f"{endpoint}: " + NOT_READ.format(consumer=self.consumer, problem=problem)
            )
        return status == "blocks"

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
        violations=count(len(violations), "contract violation"),
        location=f"{first.instance_path or '/'} in {first.where}",
        message=first.message,
    )


def _expired(waiver: Waiver) -> str:
    return EXPIRED.format(
        finding=waiver.finding, who=waiver.who, reason=waiver.reason, expires=waiver.expires
    )


def human(delta: timedelta) -> str:
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
