"""A cassette's age: when it was recorded (its provenance's `recorded_at`, else `created`),
and whether that is longer ago than its provider's `max_age` (`provider.yaml`).

A stale cassette is a warning, never a failure of its own: `contracts lint` lists them,
and the pytest plugin names those its tests replayed (`--strict-age` fails the session).
The clock is a parameter, so the policy is tested without waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..contract.registry import Provider, Registry
from ..errors import CassetteError
from ..files import display
from .cassette import cassette_paths, read

__all__ = ["RECORD_AGAIN", "STALE", "recorded_at", "stale", "timestamp", "too_old"]

STALE = (
    "{cassette}: recorded {when} ({days} days ago), older than {provider}'s max_age of "
    "{max_age}; {fix}"
)
RECORD_AGAIN = "record it again with `contracts record {provider} --endpoint {endpoint}`"


def recorded_at(provenance: Mapping[str, Any]) -> datetime | None:
    """When the cassette was recorded, from its provenance; None when it does not say."""
    return timestamp(provenance.get("recorded_at") or provenance.get("created"))


def timestamp(value: Any) -> datetime | None:
    """An ISO 8601 time (a trailing `Z` allowed) as an aware datetime (UTC when it names no
    zone); None when `value` is not one. Also reads a verify report's times (the gate)."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def too_old(
    path: Path, provenance: Mapping[str, Any], provider: Provider, now: datetime, fix: str
) -> str | None:
    """The warning for a cassette older than its provider's `max_age`, else None."""
    when = recorded_at(provenance)
    if provider.max_age is None or when is None or now - when <= provider.max_age:
        return None
    return STALE.format(
        cassette=display(path),
        when=when.date().isoformat(),
        days=(now - when).days,
        provider=provider.name,
        max_age=_shown(provider.max_age),
        fix=fix,
    )


def stale(cassettes_root: Path, registry: Registry, now: datetime) -> list[str]:
    """A warning for each cassette older than its provider's `max_age` (for `contracts lint`;
    a cassette that does not read is lint's problem, not this)."""
    found: list[str] = []
    for provider in registry.providers.values():
        if provider.max_age is None:
            continue
        for endpoint in provider.endpoints.values():
            fix = RECORD_AGAIN.format(provider=provider.name, endpoint=endpoint.name)
            for path in cassette_paths(cassettes_root, provider.name, endpoint.name):
                try:
                    provenance = read(path).provenance
                except (CassetteError, OSError):
                    continue
                warning = too_old(path, provenance, provider, now, fix)
                if warning is not None:
                    found.append(warning)
    return found


def _shown(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
