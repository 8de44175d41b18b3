"""Drift findings as the reports read them, whatever form they arrive in.

A live `EndpointResult.drift` holds `provider_contracts.drift.core.Finding` objects; a JSON
report read back by the gate holds their dicts. Both are read through `view`, so
every renderer and the gate agree on the fields: path, change, old, new, severity,
reason. A severity this version does not know is read as breaking: the gate fails
closed rather than let an unknown class through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["SEVERITIES", "FindingView", "shape", "view"]

SEVERITIES = ("breaking", "risky", "additive", "noise")
SHAPE_LIMIT = 60


@dataclass(frozen=True, slots=True)
class FindingView:
    path: str
    change: str
    old: Any
    new: Any
    severity: str
    reason: str

    @property
    def what(self) -> str:
        """The change in words: `type changed` for `type_changed`."""
        return self.change.replace("_", " ")

    @property
    def transition(self) -> str:
        """`string -> number`, or `absent -> string` for a field that appeared."""
        return f"{shape(self.old)} -> {shape(self.new)}"


def view(finding: Any) -> FindingView:
    """The fields of a drift finding given as an object (a dataclass) or a mapping."""

    def get(name: str) -> Any:
        if isinstance(finding, Mapping):
            return finding.get(name)
        return getattr(finding, name, None)

    severity = get("severity")
    return FindingView(
        path=str(get("path") or "/"),
        change=str(get("change") or "changed"),
        old=get("old"),
        new=get("new"),
        severity=severity if severity in SEVERITIES else "breaking",
        reason=str(get("reason") or ""),
    )


def shape(value: Any, limit: int = SHAPE_LIMIT) -> str:
    """A shape on one short line: `number`, `null|string`, `absent`."""
    if value is None:
        return "absent"
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
