"""Verification: every recorded interaction against its contract, as one result object.

The result is what every report renders (text, JSON, JUnit, Markdown) and what the
staging gate reads. Cassettes are read one at a time and only the findings are kept,
so memory stays flat however large the corpus.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..cassettes.cassette import Interaction, cassette_paths, read
from ..contract.registry import Endpoint
from ..contract.schemas import SchemaStore, store_for
from ..contract.validation import BodyResult, validate_recorded
from ..contract.violations import Violation
from ..drift.findings import Finding
from ..files import display

__all__ = ["EndpointResult", "InteractionResult", "VerifyResult", "verify_offline"]

Outcome = Literal["pass", "fail", "missing", "unverified"]
EXIT_FOR = {"pass": 0, "fail": 1, "missing": 2, "unverified": 3}


# Not frozen: a frozen dataclass's __init__ pays object.__setattr__ per field, half the
# cost of reading a cassette (scripts/bench_verify.py); never assigned after creation.
@dataclass(slots=True, unsafe_hash=True)
class InteractionResult:
    index: int
    name: str | None
    cassette: str
    status: int
    branch: str
    events: int
    violations: tuple[Violation, ...]

    @property
    def label(self) -> str:
        return f"#{self.index} {self.name}" if self.name else f"#{self.index}"

    @classmethod
    def of(cls, interaction: Interaction, cassette: str, checked: BodyResult) -> InteractionResult:
        return cls(
            index=interaction.index,
            name=interaction.name,
            cassette=cassette,
            status=checked.status,
            branch=checked.branch,
            events=checked.events,
            violations=checked.violations,
        )


@dataclass(frozen=True, slots=True)
class EndpointResult:
    endpoint: str  # PROVIDER/ENDPOINT
    outcome: Outcome
    cassettes: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    interactions: tuple[InteractionResult, ...] = ()
    note: str | None = None  # why it is missing or unverified
    drift: tuple[Finding, ...] = ()  # drift findings, for live runs

    @property
    def provider(self) -> str:
        return self.endpoint.partition("/")[0]

    @property
    def violations(self) -> list[tuple[InteractionResult, Violation]]:
        return [(i, v) for i in self.interactions for v in i.violations]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    started_at: datetime
    finished_at: datetime
    mode: Literal["offline", "live"]
    endpoints: tuple[EndpointResult, ...]
    # live: {provider: URL} called instead of its manifest's base_url (`--base-url`)
    base_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 on any violation; else 3 if anything could not be verified; else 2 if a cassette is missing."""
        outcomes = {e.outcome for e in self.endpoints}
        for outcome in ("fail", "unverified", "missing"):
            if outcome in outcomes:
                return EXIT_FOR[outcome]
        return 0

    @property
    def providers(self) -> list[str]:
        return list(dict.fromkeys(e.provider for e in self.endpoints))

    def count(self, what: str) -> int:
        if what == "interactions":
            return sum(len(e.interactions) for e in self.endpoints)
        if what == "violations":
            return sum(len(e.violations) for e in self.endpoints)
        if what == "error_branch":
            return sum(
                i.branch == "error" and i.status < 300
                for e in self.endpoints
                for i in e.interactions
            )
        return sum(e.outcome == what for e in self.endpoints)


def verify_endpoint(endpoint: Endpoint, cassettes_root: Path, store: SchemaStore) -> EndpointResult:
    paths = cassette_paths(cassettes_root, endpoint.provider, endpoint.name)
    if not paths:
        single = cassettes_root / endpoint.provider / f"{endpoint.name}.json"
        what = (
            "is a folder, not a cassette file; remove it and"
            if single.is_dir()
            else ("does not exist;")
        )
        return EndpointResult(
            endpoint.id,
            "missing",
            note=f"{display(single)} {what} record it with "
            f"`contracts record {endpoint.provider} --endpoint {endpoint.name}`",
        )
    results: list[InteractionResult] = []
    provenance: Mapping[str, Any] = {}
    for path in paths:
        cassette = read(path)
        provenance = provenance or cassette.provenance
        shown = display(path)
        for interaction in cassette.interactions:
            checked = validate_recorded(endpoint, interaction.response, store)
            results.append(InteractionResult.of(interaction, shown, checked))
    failed = any(r.violations for r in results)
    return EndpointResult(
        endpoint.id,
        "fail" if failed else "pass",
        cassettes=tuple(display(p) for p in paths),
        provenance=provenance,
        interactions=tuple(results),
    )


def verify_offline(
    endpoints: Iterable[Endpoint], cassettes_root: Path, contracts_root: Path
) -> VerifyResult:
    """Check every interaction of the committed cassettes of these endpoints."""
    started = datetime.now(UTC)
    store = store_for(contracts_root)
    with gc_paused():
        results = tuple(verify_endpoint(ep, cassettes_root, store) for ep in endpoints)
    return VerifyResult(started, datetime.now(UTC), "offline", results)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a verify run, back as it was after.

    Reading a cassette makes hundreds of thousands of containers (parsed JSON) that live
    until the cassette is done, and each allocation burst triggers collections that walk
    all of them again and find nothing: parsed JSON holds no cycles, and what verify
    keeps (results, violations) holds none either, so reference counting frees it all.
    Measured by `scripts/bench_verify.py` (the `GC left on` line): verify takes 1.5-1.9x
    as long with the collector on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
