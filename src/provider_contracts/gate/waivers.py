"""Waivers: known, accepted drift or violations, committed in `contracts/waivers.yaml`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path

from ..errors import BAD_FIELD, MISSING_FIELD, ContractError
from ..files import display, read_yaml

__all__ = ["WAIVERS_FILE", "Waiver", "dotted", "load_waivers"]

WAIVERS_FILE = "contracts/waivers.yaml"

# User-facing messages, kept here so tests can assert them.
WAIVER_FIX = "each waiver needs endpoint, finding, reason, who and expires (see docs/nightly.md)"


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
