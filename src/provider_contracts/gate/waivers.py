"""Waivers: known, accepted drift or violations, committed in `contracts/waivers.yaml`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path

from ..errors import BAD_FIELD, MISSING_FIELD, ContractError
from ..files import display, read_yaml

__all__ = ["HORIZON", "WAIVERS_FILE", "Waiver", "load_waivers"]

WAIVERS_FILE = "contracts/waivers.yaml"
HORIZON = timedelta(days=365)  # the furthest a waiver may expire, from today

# User-facing messages, kept here so tests can assert them.
WAIVER_FIX = "each waiver needs endpoint, finding, reason, who and expires (see docs/nightly.md)"
WILDCARDS = (
    "{where}: endpoint {endpoint!r} and finding {finding!r} are both wildcards, which would "
    "waive anything; name the endpoint or the finding exactly"
)
TOO_FAR = (
    "{where}: expires {expires}, more than {days} days from today ({today}); a waiver is "
    "reviewed at least that often: set a nearer date"
)
REPEATED = "{where}: waives the same finding on the same endpoint as waiver {first}; keep one"


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


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


_WAIVER_FIELDS = ("endpoint", "finding", "reason", "who", "expires")


def load_waivers(
    path: Path,
    endpoints: Sequence[str],
    *,
    today: date | None = None,
    horizon: timedelta = HORIZON,
) -> tuple[Waiver, ...]:
    """The waivers in `path` (a YAML list), each checked against the known endpoint ids.

    Refused: a field this version does not know, a waiver whose endpoint and finding are
    both wildcards, one that expires more than `horizon` after `today` (default: today,
    UTC), and two waivers of the same finding on the same endpoint.
    """
    today = today or datetime.now(UTC).date()
    seen: dict[tuple[str, str], int] = {}
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
                close = get_close_matches(str(key), _WAIVER_FIELDS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problem = f"is not a waiver field{hint} ({', '.join(_WAIVER_FIELDS)})"
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
        finding = str(entry["finding"])
        if "*" in endpoint and "*" in finding:
            raise ContractError(WILDCARDS.format(where=item, endpoint=endpoint, finding=finding))
        if expires > today + horizon:
            raise ContractError(
                TOO_FAR.format(where=item, expires=expires, days=horizon.days, today=today)
            )
        if (endpoint, finding) in seen:
            raise ContractError(REPEATED.format(where=item, first=seen[endpoint, finding]))
        seen[endpoint, finding] = number
        waivers.append(Waiver(endpoint, finding, str(entry["reason"]), str(entry["who"]), expires))
    return tuple(waivers)
