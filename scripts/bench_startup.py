"""Benchmark: the CPU a `contracts` command costs before and around its work.

Runs each command as a fresh subprocess, `--runs` times, and takes the median of its
user + sys CPU (from `os.wait4`, so a busy machine's waiting is not counted), next to
two floors measured in the same run: `python -c pass` (the interpreter) and
`python -c "import click, orjson"` (the libraries every command needs). Targets
(issue 13.4): `contracts --help` at most 60 ms, `contracts verify openrouter` at most
100 ms, on the committed cassettes.

    python scripts/bench_startup.py [--runs 21] [--check]

`--check` exits 1 when a target is missed. For where the time goes:
`python -X importtime .venv/bin/contracts verify openrouter 2>&1 >/dev/null | sort -t'|' -k2 -n | tail`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = [str(Path(sys.executable).parent / "contracts")]  # the installed entry point
CASES: list[tuple[str, list[str], float | None]] = [
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("python -c 'import click, orjson'", [sys.executable, "-c", "import click, orjson"], None),
    ("contracts --help", [*CONTRACTS, "--help"], 0.060),
    ("contracts verify openrouter", [*CONTRACTS, "verify", "openrouter"], 0.100),
]


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + sys CPU of one run of `argv` (stdout and stderr discarded)."""
    out = subprocess.DEVNULL
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=out)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    # Bytecode cached, as an installed package has it: not in src/ (a prefix of our own),
    # and written by one warm-up run of each case even where PYTHONDONTWRITEBYTECODE is set.
    cache = tempfile.mkdtemp(prefix="bench-startup-pycache-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    runs: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
    try:
        for _, argv, _ in CASES:
            cpu_seconds(argv, env)
        for _ in range(args.runs):  # interleaved, so that a busy spell slows every case alike
            for name, argv, _ in CASES:
                runs[name].append(cpu_seconds(argv, env))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"median CPU (user + sys) of {args.runs} runs each, interleaved, bytecode cached")
    interpreter = statistics.median(runs[CASES[0][0]])
    libraries = statistics.median(runs[CASES[1][0]])
    missed = []
    for name, _, target in CASES:
        median = statistics.median(runs[name])
        line = f"  {name:<34} {median * 1e3:6.1f} ms  ({median / interpreter:4.1f}x python"
        if target is not None:
            line += (
                f", {median / libraries:4.1f}x click+orjson, + {(median - libraries) * 1e3:5.1f} ms"
            )
            ok = median <= target
            line += f"; target <= {target * 1e3:.0f} ms {'ok' if ok else 'MISSED'})"
            if not ok:
                missed.append(name)
        else:
            line += ")"
        print(line)
    if args.check and missed:
        print(f"bench_startup: missed: {', '.join(missed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
