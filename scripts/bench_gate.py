"""Benchmark: `contracts gate` and the JUnit/Markdown renderers on a very bad night.

Builds one VerifyResult as a broken `/models` day would give: every provider endpoint
of the real `contracts/`, and on each an interaction with V violations and D breaking
drift findings. Then, in the same run, times:

- the floor of the gate: parsing the JSON report files with orjson, nothing else;
- the gate: reading the same files as reports and deciding, with W waivers that match
  nothing (so every finding is checked against every waiver);
- the renderers on equal work: a result with at most `markdown.LIMIT` violations and
  findings per endpoint, which every renderer (JSON, JUnit, Markdown) writes out in
  full, against the text floor: one f-string line per violation and finding, the least
  any renderer must do in Python (JSON's orjson is C and does less than that);
- the renderers on the bad night itself, where the work differs and the output says
  how: JSON and JUnit write every violation, Markdown the first `markdown.LIMIT` per
  endpoint and a count of the rest (it is a summary page), so its ratio there is not a
  like-for-like comparison and has no bound.

and prints each with its floor and ratio. `--check` exits 1 when a ratio is over its
bound (`BOUNDS`: regression guards, set from the ratios measured with these floors).

    python scripts/bench_gate.py [--violations 2000] [--drift 50] [--waivers 20] [--repeat 5] [--check]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson

from provider_contracts.contract.registry import Registry
from provider_contracts.contract.violations import Violation
from provider_contracts.drift.findings import Finding
from provider_contracts.gate.report import read_report
from provider_contracts.gate.verdict import evaluate
from provider_contracts.gate.waivers import Waiver
from provider_contracts.reports import RENDERERS
from provider_contracts.reports.markdown import LIMIT as MARKDOWN_LIMIT
from provider_contracts.verify.offline import EndpointResult, InteractionResult, VerifyResult

REPO = Path(__file__).resolve().parent.parent
# Bounds, as ratios to the floor measured in the same run. They guard against
# regressions, about 1.3x over the ratios measured when these floors were made honest
# (on a 2-core machine at load 6: gate 2-9x; on equal work json 7-8x, junit 8-13x,
# markdown 32-59x; on the bad night json 10-23x, junit 8-19x). They do not claim the
# renderers are near their floor: they are not.
BOUNDS = {"gate": 12.0, "json": 30.0, "junit": 25.0, "markdown": 80.0}


def build(endpoints: list[str], violations: int, drift: int) -> VerifyResult:
    now = datetime.now(UTC)
    results = []
    for name in endpoints:
        found = tuple(
            Violation(
                "schema",
                f'{n} is not of type "string"',
                f"/data/{n}/pricing/prompt",
                "/properties/data/items/properties/pricing/properties/prompt/type",
                str(n),
            )
            for n in range(violations)
        )
        interaction = InteractionResult(
            0, "probe", f"scratch/{name}.json", 200, "success", 0, found
        )
        findings = tuple(
            Finding(f"data[].field_{n}", "type_changed", "string", "number", "breaking", "required")
            for n in range(drift)
        )
        results.append(
            EndpointResult(
                name, "fail", (f"scratch/{name}.json",), {}, (interaction,), None, findings
            )
        )
    return VerifyResult(now - timedelta(minutes=5), now, "live", tuple(results))


def text_floor(result: VerifyResult) -> str:
    """The least a text renderer does: one line per endpoint, violation and finding,
    fields put in an f-string, no escaping and no structure (the floor for JUnit and
    Markdown, which must do at least this in Python)."""
    lines = []
    for endpoint in result.endpoints:
        lines.append(f"{endpoint.endpoint} {endpoint.outcome}")
        for interaction in endpoint.interactions:
            for v in interaction.violations:
                lines.append(
                    f"{interaction.cassette} {v.instance_path} {v.message} {v.schema_path} {v.excerpt}"
                )
        for f in endpoint.drift:
            lines.append(f"{f.path} {f.change} {f.old} -> {f.new} {f.severity} {f.reason}")
    return "\n".join(lines)


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--violations", type=int, default=2000, help="per endpoint")
    parser.add_argument("--drift", type=int, default=50, help="breaking findings per endpoint")
    parser.add_argument("--waivers", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when a bound is passed")
    args = parser.parse_args()

    ids = Registry.load(REPO / "contracts").endpoint_ids()
    result = build(ids, args.violations, args.drift)
    waivers = [
        Waiver(ids[n % len(ids)], f"/nowhere/{n}/*", "bench", "bench", date(2999, 1, 1))
        for n in range(args.waivers)
    ]
    with tempfile.TemporaryDirectory() as folder:
        # One report per provider, as the nightly writes them.
        paths = []
        for provider in result.providers:
            part = VerifyResult(
                result.started_at,
                result.finished_at,
                result.mode,
                tuple(e for e in result.endpoints if e.provider == provider),
            )
            path = Path(folder) / f"{provider}.json"
            path.write_text(RENDERERS["json"](part))
            paths.append(path)
        size = sum(p.stat().st_size for p in paths)

        def floor() -> None:
            for path in paths:
                orjson.loads(path.read_bytes())

        def gate() -> None:
            verdict = evaluate(
                [read_report(p) for p in paths], ids, now=datetime.now(UTC), waivers=waivers
            )
            assert not verdict.passed

        gate_floor = best(floor, args.repeat)
        gate_time = best(gate, args.repeat)

    # Equal work: as many endpoints as it takes to hold the bad night's violations, each
    # with no more than Markdown shows.
    copies = max(1, args.violations // MARKDOWN_LIMIT)
    many = [f"{name}_{n}" for n in range(copies) for name in ids]
    equal = build(many, min(args.violations, MARKDOWN_LIMIT), min(args.drift, MARKDOWN_LIMIT))
    rows: list[tuple[str, str, float, float, float | None]] = [
        ("gate", "parse the reports", gate_floor, gate_time, BOUNDS["gate"])
    ]
    for label, res, equal_work in (
        (f"equal work, {len(many)} x {MARKDOWN_LIMIT}", equal, True),
        (f"bad night, {len(ids)} x {args.violations}", result, False),
    ):
        floor_time = best(lambda res=res: text_floor(res), args.repeat)  # type: ignore[misc]
        for fmt in ("json", "junit", "markdown"):
            seconds = best(lambda res=res, fmt=fmt: RENDERERS[fmt](res), args.repeat)  # type: ignore[misc]
            # On the bad night JSON and JUnit still write everything; Markdown does not.
            target = BOUNDS[fmt] if equal_work or fmt != "markdown" else None
            rows.append((f"render {fmt} ({label})", "text floor", floor_time, seconds, target))

    total = len(ids) * args.violations
    print(
        f"{len(ids)} endpoints in {len(paths)} reports ({size / 1e6:.1f} MB): {total} violations, "
        f"{len(ids) * args.drift} breaking findings, {args.waivers} waivers; best of {args.repeat}"
    )
    print(
        f"note: on the bad night Markdown writes {MARKDOWN_LIMIT} violations and findings per "
        "endpoint and counts the rest; JSON and JUnit write all of them (no bound for Markdown there)"
    )
    missed = []
    for name, floor_name, floor_s, seconds, target in rows:
        ratio = seconds / floor_s
        verdict = (
            ""
            if target is None
            else (f"  bound {target:.0f}x" + (" MISSED" if ratio > target else " ok"))
        )
        if target is not None and ratio > target:
            missed.append(name)
        print(
            f"  {name:<44} {seconds * 1000:8.1f} ms  floor ({floor_name}) "
            f"{floor_s * 1000:7.1f} ms  {ratio:5.2f}x{verdict}"
        )
    if args.check and missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
