"""Benchmark: `verify` against the floor of parsing and validating the same cassettes.

Builds, in a temporary folder, a copy of the real `contracts/` and OpenRouter
cassettes made from the committed ones (every body different, every one valid):

- chat:   one cassette of N chat-completion interactions (10,000 and 100,000);
- stream: one cassette holding one streamed answer of N events (10,000 and 100,000);
- models: 20 `/models` bodies of about 1.5 MB each, one cassette file each.

For each case, in the same run and the same process, it times (CPU seconds of this
process, best and median of `--repeat`, the two interleaved so that a busy machine
slows both alike):

- the floor: read each cassette file, parse it with orjson, and validate each body
  (each stored `data:` line, for the stream) with the same compiled validator, looked
  up once, in a plain loop: the least any verifier must do;
- verify: `verify_offline` on the same endpoint and files (and with it everything it
  owes: the cassette model, SSE framing, the terminator, the sequence rules, results);

and prints both and their ratio against the target (chat and models <= 1.3x, stream
<= 1.5x). The target is against the floor as plain Python runs it (GC on). Verify
pauses the collector itself (`verify/offline.py`): the `GC left on` line shows what
that pause is worth, and the ratio against a floor that pauses it too shows verify's
own overhead. Peak memory: child processes verify the 100,000-interaction cassette,
and run the floor on it, each alone; `ru_maxrss` of each, target <= 1.5x.

    python scripts/bench_verify.py [--repeat 5] [--small] [--only chat,stream,models] [--check]

`--small` builds the 10,000 cases only (a quick look); `--check` exits 1 when a target
is missed. Timings on a shared machine are noisy: read the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
MODELS_BODY_BYTES = 1_500_000
TARGET = {"chat": 1.3, "stream": 1.5, "models": 1.3, "memory": 1.5}
PROVENANCE = {"recorded_live": False, "source": "scripts/bench_verify.py (synthetic)"}


def _dump(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _committed(name: str) -> list[dict[str, Any]]:
    doc = orjson.loads((REPO / "cassettes" / "openrouter" / f"{name}.json").read_bytes())
    return doc["interactions"]  # type: ignore[no-any-return]


def _first_ok(name: str, kind: str) -> dict[str, Any]:
    for item in _committed(name):
        body = item["response"].get("body") or {}
        ok = item["response"]["status"]["code"] == 200 and kind in body
        if ok and (kind != "json" or "error" not in body["json"]):
            return item
    raise SystemExit(f"cassettes/openrouter/{name}.json: no 200 {kind} interaction to build from")


def _project(root: Path) -> Path:
    shutil.copytree(REPO / "contracts", root / "contracts")
    return root / "cassettes" / "openrouter"


def build_chat(root: Path, count: int) -> None:
    cassettes = _project(root)
    template = orjson.dumps(_first_ok("chat_completions", "json"))
    items = []
    for n in range(count):
        item = orjson.loads(template)
        body = item["response"]["body"]["json"]
        body["id"] = f"gen-{n:08d}"
        body["created"] = 1_760_000_000 + n
        body["choices"][0]["message"]["content"] = f"answer number {n} " * (n % 7 + 1)
        usage = body["usage"]  # counts that still add up (rule total_is_prompt_plus_completion)
        usage["completion_tokens"] = 1 + n % 500
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        items.append(item)
    _dump(
        cassettes / "chat_completions.json",
        {"version": 1, "provenance": PROVENANCE, "interactions": items},
    )


def build_stream(root: Path, events: int) -> None:
    """One streamed answer: content chunks, a finish chunk, a usage chunk, `[DONE]`."""
    cassettes = _project(root)
    item = _first_ok("chat_completions_stream", "sse")
    sse = item["response"]["body"]["sse"]
    chunks = [orjson.loads(line[6:]) for line in sse if line.startswith("data: {")]
    content, finish, usage = chunks[0], chunks[-2], chunks[-1]
    lines = []
    for n in range(events - 3):
        chunk = dict(content, created=1_760_000_000 + n)
        delta = {"content": f"token {n} "}
        if n == 0:  # the first delta says who speaks, as every real stream's does
            delta = {**content["choices"][0]["delta"], **delta}
        chunk["choices"] = [{**content["choices"][0], "delta": delta}]
        lines += ["data: " + orjson.dumps(chunk).decode(), ""]
    for last in (finish, usage):
        lines += ["data: " + orjson.dumps(last).decode(), ""]
    lines += ["data: [DONE]", "", ""]  # the stored form of a body ending in a blank line
    item["response"]["body"]["sse"] = lines
    _dump(
        cassettes / "chat_completions_stream.json",
        {"version": 1, "provenance": PROVENANCE, "interactions": [item]},
    )


def build_models(root: Path, count: int) -> None:
    cassettes = _project(root)
    item = _first_ok("models", "json")
    one_model = item["response"]["body"]["json"]["data"][0]
    per_model = len(orjson.dumps(one_model))
    for m in range(count):
        data = [
            dict(
                one_model,
                id=f"vendor-{m}/model-{n}",
                name=f"Vendor {m}: Model {n}",
                created=1_700_000_000 + n,
            )
            for n in range(MODELS_BODY_BYTES // per_model)
        ]
        doc = orjson.loads(orjson.dumps(item))
        doc["response"]["body"]["json"]["data"] = data
        _dump(
            cassettes / "models" / f"{m:04d}.json",
            {"version": 1, "provenance": PROVENANCE, "interactions": [doc]},
        )


ENDPOINT = {
    "chat": "openrouter/chat_completions",
    "stream": "openrouter/chat_completions_stream",
    "models": "openrouter/models",
}


def floor(root: Path, case: str) -> int:
    """Read, parse, validate: the plainest fast way, the validator resolved once."""
    from provider_contracts.contract.registry import Registry
    from provider_contracts.contract.schemas import store_for

    endpoint = Registry.load(root / "contracts").endpoint(ENDPOINT[case])
    store = store_for(root / "contracts")
    files = sorted((root / "cassettes").rglob("*.json"))
    checked = 0
    if case == "stream":
        assert endpoint.stream is not None and endpoint.stream.event is not None
        is_valid = store.validator(endpoint.stream.event).is_valid
        loads = orjson.loads
        for path in files:
            for item in orjson.loads(path.read_bytes())["interactions"]:
                for line in item["response"]["body"]["sse"]:
                    if line.startswith("data: ") and line != "data: [DONE]":
                        if not is_valid(loads(line[6:])):
                            raise SystemExit("the floor found an invalid event")
                        checked += 1
        return checked
    ref = endpoint.schema_for(200)
    assert ref is not None
    is_valid = store.validator(ref).is_valid
    for path in files:
        for item in orjson.loads(path.read_bytes())["interactions"]:
            if not is_valid(item["response"]["body"]["json"]):
                raise SystemExit("the floor found an invalid body")
            checked += 1
    return checked


def verify(root: Path, case: str, gc_pause: bool = True) -> int:
    from provider_contracts.contract.registry import Registry
    from provider_contracts.verify import offline

    endpoints = Registry.load(root / "contracts").select([ENDPOINT[case]])
    saved = getattr(offline, "gc_paused", nullcontext)  # absent before it was added
    if not gc_pause:
        offline.gc_paused = nullcontext  # type: ignore[assignment]
    try:
        result = offline.verify_offline(endpoints, root / "cassettes", root / "contracts")
    finally:
        offline.gc_paused = saved  # type: ignore[assignment]
    if result.exit_code != 0:
        raise SystemExit(f"the synthetic {case} corpus does not verify (exit {result.exit_code})")
    return sum(i.events or 1 for e in result.endpoints for i in e.interactions)


def paused(func: Callable[[Path, str], int], root: Path, case: str) -> int:
    gc.disable()
    try:
        return func(root, case)
    finally:
        gc.enable()


def timed(funcs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """CPU seconds of each function, interleaved run by run."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            gc.collect()
            start = time.process_time()
            func()
            times[name].append(time.process_time() - start)
    return times


CHILD = """
import resource, sys
from pathlib import Path
sys.path.insert(0, {scripts!r})
import bench_verify
bench_verify.{func}(Path({root!r}), "chat")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kb(root: Path, func: str) -> int:
    code = CHILD.format(scripts=str(Path(__file__).parent), root=str(root), func=func)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def run_case(root: Path, case: str, size: int, repeat: int) -> bool:
    files = sorted((root / "cassettes").rglob("*.json"))
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    counted = floor(root, case), verify(root, case)  # warm: schemas compiled, files cached
    unit = "event" if case == "stream" else "body"
    if case != "stream" and counted[0] != counted[1]:
        raise SystemExit(f"{case}: the floor checked {counted[0]} bodies, verify {counted[1]}")
    times = timed(
        {
            "floor": lambda: floor(root, case),
            "floor, GC paused": lambda: paused(floor, root, case),
            "verify": lambda: verify(root, case),
            "verify, GC left on": lambda: verify(root, case, gc_pause=False),
        },
        repeat,
    )
    best = {name: min(t) for name, t in times.items()}
    median = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"\n{case} {size:,} ({counted[0]:,} {'events' if case == 'stream' else 'bodies'}, {len(files)} files, {megabytes:.0f} MB)"
    )
    for name in times:
        per = best[name] / counted[0] * 1e6
        print(
            f"  {name:<20} best {best[name] * 1e3:8.1f} ms  median {median[name] * 1e3:8.1f} ms"
            f"  ({per:.2f} us per {unit})"
        )
    ratio = best["verify"] / best["floor"]
    ok = ratio <= TARGET[case]
    print(
        f"  ratio verify / floor: {ratio:.2f}x best, "
        f"{median['verify'] / median['floor']:.2f}x median; target <= {TARGET[case]}x"
        f" {'ok' if ok else 'MISSED'}"
    )
    print(
        f"  GC: verify with GC left on takes {best['verify, GC left on'] / best['verify']:.2f}x "
        f"as long; against a floor that pauses GC too, verify is at "
        f"{best['verify'] / best['floor, GC paused']:.2f}x"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="the 10,000 cases only")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--only", default="chat,stream,models", help="cases, comma-separated")
    args = parser.parse_args()
    sizes = [10_000] if args.small else [10_000, 100_000]
    print(
        "CPU time of this process, best of "
        f"{args.repeat} (floor and verify interleaved); ratios are what to read"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        only = args.only.split(",")
        for case, build in (("chat", build_chat), ("stream", build_stream)):
            for size in sizes if case in only else []:
                root = Path(tmp) / f"{case}-{size}"
                build(root, size)
                results.append(run_case(root, case, size, args.repeat))
                if case == "chat" and size == sizes[-1]:
                    floor_kb, verify_kb = peak_rss_kb(root, "floor"), peak_rss_kb(root, "verify")
                    ok = verify_kb <= TARGET["memory"] * floor_kb
                    print(
                        f"  peak RSS (child processes, ru_maxrss): floor {floor_kb / 1024:.0f} MiB, "
                        f"verify {verify_kb / 1024:.0f} MiB: {verify_kb / floor_kb:.2f}x; "
                        f"target <= {TARGET['memory']}x {'ok' if ok else 'MISSED'}"
                    )
                    results.append(ok)
                shutil.rmtree(root)
        if "models" in only:
            root = Path(tmp) / "models"
            build_models(root, 20)
            results.append(run_case(root, "models", 20, args.repeat))
    if args.check and not all(results):
        print("\nbench_verify: a target was missed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
