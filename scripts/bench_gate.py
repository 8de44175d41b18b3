"""Benchmark: `contracts gate` and the JUnit/Markdown renderers on a very bad night.

Builds one VerifyResult as a broken `/models` day would give: every provider endpoint
of the real `contracts/`, and on each of N endpoints an interaction with V violations
and D breaking drift findings. Then, in the same run, times:

- the floor of the gate: parsing the JSON report files with orjson, nothing else;
- the gate: reading the same files as reports and deciding, with W waivers that match
  nothing (so every finding is checked against every waiver);
- the floor of the renderers: the JSON renderer;
- the JUnit and Markdown renderers on the same result.

and prints each with its ratio to its floor.

    python scripts/bench_gate.py [--violations 2000] [--drift 50] [--waivers 20] [--repeat 5]
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
from provider_contracts.verify.offline import EndpointResult, InteractionResult, VerifyResult

REPO = Path(__file__).resolve().parent.parent


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


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--violations", type=int, default=2000, help="per endpoint")
    parser.add_argument("--drift", type=int, default=50, help="breaking findings per endpoint")
    parser.add_argument("--waivers", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
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

        rows = [
            ("parse the reports (floor)", best(floor, args.repeat)),
            ("gate", best(gate, args.repeat)),
        ]
        render_floor = best(lambda: RENDERERS["json"](result), args.repeat)
        renders = [
            ("render json (floor)", render_floor),
            ("render junit", best(lambda: RENDERERS["junit"](result), args.repeat)),
            ("render markdown", best(lambda: RENDERERS["markdown"](result), args.repeat)),
        ]
    total = len(ids) * args.violations
    print(
        f"{len(ids)} endpoints in {len(paths)} reports ({size / 1e6:.1f} MB): {total} violations, "
        f"{len(ids) * args.drift} breaking findings, {args.waivers} waivers; best of {args.repeat}"
    )
    for name, seconds in rows:
        print(f"  {name:<28} {seconds * 1000:8.1f} ms  {seconds / rows[0][1]:5.2f}x")
    for name, seconds in renders:
        print(f"  {name:<28} {seconds * 1000:8.1f} ms  {seconds / render_floor:5.2f}x")


if __name__ == "__main__":
    main()
