"""Benchmark: the cost of `pytest --contracts-learn` against one plain run of the same tests.

Copies the repository's `contracts/`, `cassettes/` and the example gateway
(`examples/gateway/`) into a temporary folder (so the committed consumer file is never
written), then, in the same run, times:

- the floor: `pytest examples/gateway` as is, every test once on the replayed answers;
- learning: `pytest examples/gateway --contracts-learn=gateway`, every test once, then
  once per mutation of the answers it was given.

Both are whole pytest processes (start-up included, the same for both); each is run
`--repeat` times and the median kept. It prints both, their ratio, and what learning
adds per test, per mutated run and per path found read.

    python scripts/bench_learn.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(
    r"contracts-learn gateway: (\d+) tests?, (\d+) mutated runs, (\d+) paths read on"
)


def build(root: Path) -> None:
    for name in ("contracts", "cassettes"):
        shutil.copytree(REPO / name, root / name)
    shutil.rmtree(root / "contracts" / "consumers", ignore_errors=True)
    shutil.copytree(
        REPO / "examples" / "gateway",
        root / "examples" / "gateway",
        ignore=shutil.ignore_patterns("__pycache__"),
    )


def timed(root: Path, *args: str) -> tuple[float, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["examples/gateway", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build(root)
        plain = [timed(root)[0] for _ in range(options.repeat)]
        learned = [timed(root, "--contracts-learn=gateway") for _ in range(options.repeat)]
    floor = statistics.median(plain)
    learn = statistics.median(t for t, _ in learned)
    found = SUMMARY.search(learned[-1][1])
    if found is None:
        raise SystemExit("no learning summary in the output:\n" + learned[-1][1])
    tests, runs, paths = (int(n) for n in found.groups())
    added = learn - floor
    print(
        f"plain run (floor):  {floor * 1000:8.0f} ms  ({tests} tests, median of {options.repeat})"
    )
    print(f"learning:           {learn * 1000:8.0f} ms  ({runs} mutated runs, {paths} paths read)")
    print(f"ratio:              {learn / floor:8.2f}x the plain run")
    print(f"added per test:     {added / tests * 1000:8.1f} ms")
    print(f"added per run:      {added / runs * 1000:8.2f} ms  (one test on one changed answer)")
    print(f"added per path read:{added / max(paths, 1) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
