"""A cassette's age against its provider's max_age, with the clock given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provider_contracts.cassettes.age import recorded_at, stale, too_old
from provider_contracts.contract.registry import Registry

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("provenance", "expected"),
    [
        ({"recorded_at": "2026-11-30T10:00:00Z"}, datetime(2026, 11, 30, 10, tzinfo=UTC)),
        (
            {"recorded_at": "2026-11-30T10:00:00+00:00", "created": "2020-01-01"},
            datetime(2026, 11, 30, 10, tzinfo=UTC),
        ),
        ({"created": "2026-11-22"}, datetime(2026, 11, 22, tzinfo=UTC)),
        ({"created": "last week"}, None),
        ({}, None),
    ],
    ids=["recorded-at", "recorded-at-wins", "created", "unreadable", "unsaid"],
)
def test_the_recording_date_comes_from_the_provenance(
    provenance: dict[str, str], expected: datetime | None
) -> None:
    assert recorded_at(provenance) == expected


def test_a_cassette_is_stale_only_past_its_providers_max_age(sample: Path) -> None:
    acme = Registry.load(sample / "contracts").provider("acme")
    path = sample / "cassettes" / "acme" / "chat.json"
    provenance = {"created": "2026-11-22"}  # 10.5 days before NOW
    assert too_old(path, provenance, acme, NOW, "fix") is None  # no max_age: never stale
    ten = replace(acme, max_age=timedelta(days=10))
    eleven = replace(acme, max_age=timedelta(days=11))
    assert too_old(path, provenance, eleven, NOW, "fix") is None
    warning = too_old(path, provenance, ten, NOW, "fix")
    assert warning is not None
    assert warning.endswith(
        "chat.json: recorded 2026-11-22 (10 days ago), older than acme's max_age of 10d; fix"
    )


def test_stale_lists_the_old_cassettes_of_providers_with_a_max_age(sample: Path) -> None:
    manifest = sample / "contracts" / "acme" / "provider.yaml"
    manifest.write_text(manifest.read_text() + "max_age: 7d\n")
    registry = Registry.load(sample / "contracts")
    found = stale(sample / "cassettes", registry, NOW)
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in found] == [
        "chat.json",
        "chat_stream.json",
    ]
    assert stale(sample / "cassettes", registry, datetime(2026, 11, 25, tzinfo=UTC)) == []
