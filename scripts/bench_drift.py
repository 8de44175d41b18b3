"""Benchmark: `contracts diff` against an honest floor, on one big body and on many interactions.

Two cases, each timed in the same run as its floor (median of --repeat runs):

1. Two ~1.5 MB `/models` bodies. Two OpenRouter model lists of 350 models made from the
   committed `cassettes/openrouter/models.json` model, in the shape of the real
   `contracts/openrouter/schemas/models.schema.json`. Every value differs between the two
   (ids, names, prices, descriptions, context lengths, parameter lists), and the new one
   carries four real changes: a field added to every model, a field removed from every
   model, a type changed (`context_length` integer -> string) and a new value of a closed
   enum (a tokenizer). The real schema keeps `architecture.tokenizer` open on purpose;
   this case runs on a copy of `contracts/` in which it is closed to the 20 names
   OpenRouter publishes (ModelGroup), so that the enum path is measured too.
   Floor: parse both bodies from bytes and walk every value of both with a tight loop
   (one call per container, scalars handled in the loop: what any structural comparison
   of the two must at least do). Measured: parse both, then `drift.compare` with the
   endpoint (schema-aware classification included). Target: within 3x of the floor.

2. Two cassettes of --interactions chat completions (default 1,000 each) made from the
   nine committed `cassettes/openrouter/chat_completions.json` interactions (successes and
   errors) with every value varied; the new one adds a field to every success, drops
   `system_fingerprint` and carries a new `finish_reason` once. Floor: read both cassette
   files (parse) and walk every body tightly. Measured: `read_recording` of both, then
   `compare_interactions` (pairing included). Targets: under 5 s (issue 13.2), and the
   same run at a fifth of the interactions shows the growth (near-linear: about 5x).

For context, plain `DeepDiff(old, new)` on the raw bodies of case 1 (--deepdiff-repeat
runs; it is slow; 0 skips it). `--check` exits 1 when a target is missed.

    python scripts/bench_drift.py [--models 350] [--interactions 1000] [--repeat 9] [--check]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
TOKENIZERS = [
    "Router", "Media", "Other", "GPT", "Claude", "Gemini", "Gemma", "Grok", "Cohere", "Nova",
    "Qwen", "Yi", "DeepSeek", "Mistral", "Llama2", "Llama3", "Llama4", "PaLM", "RWKV", "Qwen3",
]  # fmt: skip
PARAMETERS = [
    "temperature", "top_p", "top_k", "min_p", "top_a", "frequency_penalty", "presence_penalty",
    "repetition_penalty", "max_tokens", "logit_bias", "logprobs", "top_logprobs", "seed",
    "response_format", "structured_outputs", "stop", "tools", "tool_choice",
    "parallel_tool_calls", "include_reasoning", "reasoning", "web_search_options", "verbosity",
]  # fmt: skip
WORDS = [
    "a", "fast", "multilingual", "model", "tuned", "for", "reasoning", "coding", "and", "long",
    "context", "retrieval", "with", "strong", "tool", "use", "structured", "output", "support",
    "across", "many", "languages", "domains",
]  # fmt: skip


def template() -> dict[str, Any]:
    doc = json.loads((REPO / "cassettes" / "openrouter" / "models.json").read_text())
    for item in doc["interactions"]:
        body = (item["response"].get("body") or {}).get("json")
        if isinstance(body, dict) and body.get("data"):
            return body["data"][0]  # type: ignore[no-any-return]
    raise SystemExit("cassettes/openrouter/models.json has no model to build from")


def models_body(seed: int, count: int, changed: bool) -> dict[str, Any]:
    """A model list; `changed` applies the four real changes."""
    rng = random.Random(seed)
    base = template()
    data = []
    for n in range(count):
        model = copy.deepcopy(base)
        vendor = f"vendor{rng.randrange(60)}"
        model["id"] = f"{vendor}/model-{seed}-{n}"
        model["canonical_slug"] = f"{model['id']}-{rng.randrange(10**6)}"
        model["name"] = f"{vendor.title()}: Model {n} ({seed})"
        model["created"] = 1_690_000_000 + rng.randrange(10**8)
        model["description"] = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(440, 520)))
        model["context_length"] = rng.choice([4096, 8192, 32768, 128000, 200000, 1048576])
        model["hugging_face_id"] = f"{vendor}/Model-{n}" if rng.random() < 0.6 else ""
        model["pricing"] = {
            key: f"{rng.random() / 10**5:.10f}"
            for key in ("prompt", "completion", "request", "image", "web_search",
                        "internal_reasoning", "input_cache_read")
        }  # fmt: skip
        model["architecture"]["tokenizer"] = rng.choice(TOKENIZERS)
        model["architecture"]["input_modalities"] = rng.sample(
            ["text", "image", "file", "audio"], 2
        )
        model["top_provider"] = {
            "context_length": model["context_length"],
            "max_completion_tokens": rng.choice([None, 4096, 16384, 65536]),
            "is_moderated": rng.random() < 0.3,
        }
        model["supported_parameters"] = rng.sample(PARAMETERS, rng.randrange(8, len(PARAMETERS)))
        model["links"] = {"details": f"/api/v1/models/{model['id']}/endpoints"}
        if changed:
            model["is_deprecated"] = rng.random() < 0.1  # added to every model
            del model["hugging_face_id"]  # removed from every model
            model["context_length"] = str(model["context_length"])  # integer -> string
        data.append(model)
    if changed:
        data[count // 2]["architecture"]["tokenizer"] = "Phi"  # not one of the 20 published
    return {"data": data}


def tight_walk(value: Any) -> int:
    """The floor's walk: every value visited once, one call per container, no generator."""
    count = 1
    kind = type(value)
    if kind is dict:
        for item in value.values():
            kind = type(item)
            if kind is dict or kind is list:
                count += tight_walk(item)
            else:
                count += 1
    elif kind is list:
        for item in value:
            kind = type(item)
            if kind is dict or kind is list:
                count += tight_walk(item)
            else:
                count += 1
    return count


def chat_cassette(seed: int, count: int, changed: bool) -> dict[str, Any]:
    """A chat cassette of `count` interactions cycled from the committed nine, values varied."""
    doc = json.loads((REPO / "cassettes" / "openrouter" / "chat_completions.json").read_text())
    rng = random.Random(seed)
    base = doc["interactions"]
    items = []
    marked = False
    for n in range(count):
        item = copy.deepcopy(base[n % len(base)])
        item["name"] = f"{item.get('name', 'interaction')} #{n}"
        body = item["response"]["body"].get("json")
        if isinstance(body, dict) and "choices" in body:
            body["id"] = f"gen-{seed}-{n}-{rng.randrange(10**9)}"
            body["created"] = 1_760_000_000 + rng.randrange(10**7)
            for choice in body["choices"]:
                message = choice.get("message") or {}
                if isinstance(message.get("content"), str):
                    message["content"] = " ".join(
                        rng.choice(WORDS) for _ in range(rng.randrange(5, 60))
                    )
            usage = body.get("usage")
            if isinstance(usage, dict):
                prompt, completion = rng.randrange(5, 900), rng.randrange(1, 400)
                usage.update(prompt_tokens=prompt, completion_tokens=completion,
                             total_tokens=prompt + completion)  # fmt: skip
            if changed:
                body["provider"] = rng.choice(["OpenAI", "Azure", "Together"])  # added
                body.pop("system_fingerprint", None)  # removed (noise: volatile)
                if n >= count // 2 and not marked:
                    body["choices"][0]["finish_reason"] = "eos"  # not one the schema lists
                    marked = True
        items.append(item)
    return {**doc, "interactions": items}


def bodies(cassette: dict[str, Any]) -> list[Any]:
    return [i["response"]["body"].get("json") for i in cassette["interactions"]]


def median_ms(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def strict_contracts(folder: Path) -> Path:
    """A copy of contracts/ whose `architecture.tokenizer` is the published closed enum."""
    shutil.copytree(REPO / "contracts", folder)
    path = folder / "openrouter" / "schemas" / "models.schema.json"
    schema = json.loads(path.read_text())
    schema["$defs"]["Architecture"]["properties"]["tokenizer"]["enum"] = TOKENIZERS
    path.write_text(json.dumps(schema, indent=2))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=350)
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--deepdiff-repeat", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    missed = one_body(args) + interactions(args)
    for line in missed:
        print(f"MISSED: {line}")
    if args.check and missed:
        raise SystemExit(1)


def one_body(args: argparse.Namespace) -> list[str]:
    from provider_contracts.contract.registry import Registry
    from provider_contracts.drift.classify import compare

    old_bytes = orjson.dumps(models_body(1, args.models, changed=False))
    new_bytes = orjson.dumps(models_body(2, args.models, changed=True))
    old, new = orjson.loads(old_bytes), orjson.loads(new_bytes)
    nodes = tight_walk(old) + tight_walk(new)
    print(f"1. bodies: {args.models} models each, {len(old_bytes) / 1e6:.2f} MB and "
          f"{len(new_bytes) / 1e6:.2f} MB, {nodes} values in all")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        contracts = strict_contracts(Path(tmp) / "contracts")
        endpoint = Registry.load(contracts).endpoint("openrouter/models")
        findings = compare(old, new, endpoint)  # warm: read the schema once, as a long run would
        for finding in findings:
            print(f"  {finding.severity:<8} {finding.change:<12} {finding.path}: "
                  f"{finding.old} -> {finding.new}")  # fmt: skip

        def floor() -> None:
            tight_walk(orjson.loads(old_bytes))
            tight_walk(orjson.loads(new_bytes))

        floor_ms = median_ms(floor, args.repeat)
        parse_ms = median_ms(
            lambda: (orjson.loads(old_bytes), orjson.loads(new_bytes)), args.repeat
        )
        compared = median_ms(
            lambda: compare(orjson.loads(old_bytes), orjson.loads(new_bytes), endpoint), args.repeat
        )
        bare = median_ms(
            lambda: compare(orjson.loads(old_bytes), orjson.loads(new_bytes)), args.repeat
        )
    ratio = compared / floor_ms
    print(f"   floor: parse + tight walk of both   {floor_ms:8.1f} ms (median of {args.repeat}; "
          f"parse alone {parse_ms:.1f} ms)")  # fmt: skip
    print(f"   parse + compare, with the endpoint  {compared:8.1f} ms ({len(findings)} findings)")
    print(f"   parse + compare, no endpoint        {bare:8.1f} ms")
    print(f"   ratio: {ratio:.2f}x the floor (target <= 3x)")
    missed = (
        [f"compare of two /models bodies at {ratio:.2f}x the floor (target 3x)"]
        if ratio > 3
        else []
    )
    if args.deepdiff_repeat >= 1:
        deepdiff_context(old, new, compared, args.deepdiff_repeat)
    return missed


def interactions(args: argparse.Namespace) -> list[str]:
    from provider_contracts.contract.registry import Registry

    endpoint = Registry.load(REPO / "contracts").endpoint("openrouter/chat_completions")
    results: dict[int, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for count in (max(1, args.interactions // 5), args.interactions):
            old_path, new_path = Path(tmp) / f"old{count}.json", Path(tmp) / f"new{count}.json"
            old_path.write_bytes(orjson.dumps(chat_cassette(1, count, changed=False)))
            new_path.write_bytes(orjson.dumps(chat_cassette(2, count, changed=True)))

            results[count] = measure_pair(old_path, new_path, endpoint, max(1, args.repeat // 3))
    (small, (_, s_diff, _)), (large, (_, l_diff, n)) = sorted(results.items())
    print(f"2. two cassettes of N chat completions each (median of {max(1, args.repeat // 3)})")
    print("   N        floor: read + walk   diff (read + pair + classify)   ratio")
    for count, (floor_ms, diff_ms, _) in sorted(results.items()):
        print(f"   {count:<8} {floor_ms:10.1f} ms        {diff_ms:10.1f} ms"
              f"                   {diff_ms / floor_ms:6.2f}x")  # fmt: skip
    growth = l_diff / s_diff
    print(f"   {n} findings at N={large}; growth N={small} -> {large}: {growth:.1f}x "
          f"(linear: {large / small:.1f}x; target: under 5 s at N={large})")  # fmt: skip
    missed = []
    if l_diff > 5000:
        missed.append(
            f"diff of two {large}-interaction cassettes took {l_diff / 1e3:.1f} s (target 5 s)"
        )
    if growth > 2 * large / small:
        missed.append(
            f"diff grew {growth:.1f}x from N={small} to N={large} (near-linear: about {large / small:.0f}x)"
        )
    return missed


def measure_pair(
    old_path: Path, new_path: Path, endpoint: Any, repeat: int
) -> tuple[float, float, int]:
    """(floor ms, diff ms, findings) for two cassette files."""
    from provider_contracts.drift.pairing import compare_interactions, read_recording

    def floor() -> None:
        for path in (old_path, new_path):
            for body in bodies(orjson.loads(path.read_bytes())):
                tight_walk(body)

    def diff() -> tuple[Any, ...]:
        old, new = read_recording(old_path), read_recording(new_path)
        return compare_interactions(old, new, endpoint)  # type: ignore[arg-type]

    found = diff()
    return median_ms(floor, repeat), median_ms(diff, repeat), len(found)


def deepdiff_context(old: Any, new: Any, compared: float, repeat: int) -> None:
    from deepdiff import DeepDiff

    changes: list[int] = []

    def deep() -> None:
        diff = DeepDiff(old, new, threshold_to_diff_deeper=0)
        changes.append(sum(len(v) for v in diff.values()))

    raw = median_ms(deep, repeat)
    print(f"   for context, plain DeepDiff on the raw bodies: {raw:8.1f} ms, "
          f"{changes[-1]} changes reported ({raw / compared:.0f}x compare)")  # fmt: skip


if __name__ == "__main__":
    main()
