"""Benchmark: `verify` on a large synthetic corpus against the floor of parsing it.

Builds, in a temporary folder, a copy of the real `contracts/` and a corpus of
OpenRouter cassettes made from the committed ones: 10,000 chat-completion interactions
(100 cassette files of 100) and 20 `/models` bodies of about 1.5 MB each (one file
each), every body different and every one valid under the real schemas. Then, in the
same run, times:

- the floor: reading every cassette file and parsing it with orjson, nothing else;
- verify: `verify_offline` over the same files (read, parse, validate every body).

and prints both, and their ratio (target: within 3x). Peak memory is measured in
child processes on half and on the whole corpus: streaming cassette by cassette keeps
it flat.

    python scripts/bench_verify.py [--chat 10000] [--models 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
PER_FILE = 100
MODELS_BODY_BYTES = 1_500_000


def _dump(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _first_ok(cassette: Path) -> dict[str, Any]:
    doc = json.loads(cassette.read_text())
    for item in doc["interactions"]:
        body = item["response"].get("body") or {}
        if (
            item["response"]["status"]["code"] == 200
            and "json" in body
            and "error" not in body["json"]
        ):
            return item  # type: ignore[no-any-return]
    raise SystemExit(f"{cassette}: no 200 JSON interaction to build the corpus from")


def build(root: Path, chats: int, models: int) -> Path:
    shutil.copytree(REPO / "contracts", root / "contracts")
    cassettes = root / "cassettes" / "openrouter"
    template = _first_ok(REPO / "cassettes" / "openrouter" / "chat_completions.json")
    provenance = {"recorded_live": False, "source": "scripts/bench_verify.py (synthetic)"}
    for start in range(0, chats, PER_FILE):
        items = []
        for n in range(start, min(start + PER_FILE, chats)):
            item = copy.deepcopy(template)
            body = item["response"]["body"]["json"]
            body["id"] = f"gen-{n:08d}"
            body["created"] = 1_760_000_000 + n
            body["choices"][0]["message"]["content"] = f"answer number {n} " * (n % 7 + 1)
            usage = body["usage"]  # counts that still add up (rule total_is_prompt_plus_completion)
            usage["completion_tokens"] = 1 + n % 500
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            items.append(item)
        _dump(
            cassettes / "chat_completions" / f"{start // PER_FILE:04d}.json",
            {"version": 1, "provenance": provenance, "interactions": items},
        )
    models_item = _first_ok(REPO / "cassettes" / "openrouter" / "models.json")
    one_model = models_item["response"]["body"]["json"]["data"][0]
    per_model = len(orjson.dumps(one_model))
    for m in range(models):
        item = copy.deepcopy(models_item)
        data = []
        for n in range(MODELS_BODY_BYTES // per_model):
            model = copy.deepcopy(one_model)
            model["id"] = f"vendor-{m}/model-{n}"
            model["name"] = f"Vendor {m}: Model {n}"
            model["created"] = 1_700_000_000 + n
            data.append(model)
        item["response"]["body"]["json"]["data"] = data
        _dump(
            cassettes / "models" / f"{m:04d}.json",
            {"version": 1, "provenance": provenance, "interactions": [item]},
        )
    return root


def floor(files: list[Path]) -> None:
    for path in files:
        orjson.loads(path.read_bytes())


def verify(root: Path) -> int:
    from provider_contracts.contract.registry import Registry
    from provider_contracts.verify.offline import verify_offline

    registry = Registry.load(root / "contracts")
    endpoints = registry.select(["openrouter/chat_completions", "openrouter/models"])
    result = verify_offline(endpoints, root / "cassettes", root / "contracts")
    if result.exit_code != 0:
        raise SystemExit(f"the synthetic corpus does not verify (exit {result.exit_code})")
    return result.count("interactions")


def best(func: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)  # type: ignore[return-value]


CHILD = """
import resource, sys
from pathlib import Path
sys.path.insert(0, {scripts!r})
import bench_verify
bench_verify.verify(Path({root!r}))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kb(root: Path) -> int:
    code = CHILD.format(scripts=str(Path(__file__).parent), root=str(root))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chat", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        started = time.perf_counter()
        root = build(Path(tmp) / "full", args.chat, args.models)
        half = build(Path(tmp) / "half", args.chat // 2, args.models // 2)
        files = sorted((root / "cassettes").rglob("*.json"))
        size = sum(p.stat().st_size for p in files)
        print(
            f"corpus: {args.chat} chat completions + {args.models} /models bodies, "
            f"{len(files)} files, {size / 1e6:.0f} MB (built in {time.perf_counter() - started:.1f} s)"
        )
        verify(root)  # warm: compile the schemas once, as a long run would
        floor_best, floor_median = best(lambda: floor(files), args.repeat)
        verify_best, verify_median = best(lambda: verify(root), args.repeat)
        count = verify(root)
        print(
            f"floor  (read + orjson parse): best {floor_best * 1e3:8.1f} ms, median {floor_median * 1e3:8.1f} ms"
        )
        print(
            f"verify ({count} interactions):  best {verify_best * 1e3:8.1f} ms, median {verify_median * 1e3:8.1f} ms"
        )
        print(
            f"ratio verify / floor: {verify_best / floor_best:.2f}x (best), "
            f"{verify_median / floor_median:.2f}x (median); target <= 3x"
        )
        half_kb, full_kb = peak_rss_kb(half), peak_rss_kb(root)
        print(
            f"peak RSS: half corpus {half_kb / 1024:.0f} MiB, whole corpus {full_kb / 1024:.0f} MiB "
            f"({full_kb / half_kb:.2f}x for 2x the corpus)"
        )


if __name__ == "__main__":
    main()
