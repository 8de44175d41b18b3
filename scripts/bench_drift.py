"""Benchmark: `drift.compare` on two ~1.5 MB `/models` bodies against the floor of walking them.

Builds two OpenRouter model lists of about 1.5 MB each (350 models made from the committed
`cassettes/openrouter/models.json` model, in the shape of the real
`contracts/openrouter/schemas/models.schema.json`: pricing, architecture, top_provider,
supported_parameters, ...). Every value differs between the two (ids, names, prices,
descriptions, context lengths, parameter lists), and the new one carries four real
changes: a field added to every model, a field removed from every model, a type changed
(`context_length` integer -> string) and a new value of a closed enum (a tokenizer).
The real schema keeps `architecture.tokenizer` open on purpose; this benchmark runs on a
copy of `contracts/` in which it is closed to the 20 names OpenRouter publishes
(ModelGroup), so that the enum path is measured too.

In the same run, times (median of --repeat runs):

- the floor: one plain recursive walk over every value of both bodies (what any
  structural comparison must at least do), and over one body alone;
- compare: `drift.compare(old, new, endpoint)`, schema-aware classification included;
- for context, plain `DeepDiff(old, new)` on the raw bodies, and how many changes it
  reports (--deepdiff-repeat runs; it is slow).

and prints them and the ratios (target: compare within 3x of the floor).

    python scripts/bench_drift.py [--models 350] [--repeat 15] [--deepdiff-repeat 1]
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


def plain_walk(value: Any) -> int:
    """The floor: visit every value once, doing nothing."""
    if isinstance(value, dict):
        return 1 + sum(plain_walk(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(plain_walk(v) for v in value)
    return 1


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
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--deepdiff-repeat", type=int, default=1)
    args = parser.parse_args()

    from provider_contracts.contract.registry import Registry
    from provider_contracts.drift.classify import compare

    old = models_body(1, args.models, changed=False)
    new = models_body(2, args.models, changed=True)
    sizes = [len(orjson.dumps(body)) for body in (old, new)]
    nodes = plain_walk(old) + plain_walk(new)
    print(f"bodies: {args.models} models each, {sizes[0] / 1e6:.2f} MB and {sizes[1] / 1e6:.2f} MB, "
          f"{nodes} values in all")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        contracts = strict_contracts(Path(tmp) / "contracts")
        endpoint = Registry.load(contracts).endpoint("openrouter/models")
        findings = compare(old, new, endpoint)  # warm: read the schema once, as a long run would
        for finding in findings:
            print(f"  {finding.severity:<8} {finding.change:<12} {finding.path}: "
                  f"{finding.old} -> {finding.new}")  # fmt: skip
        floor_both = median_ms(lambda: (plain_walk(old), plain_walk(new)), args.repeat)
        floor_one = median_ms(lambda: plain_walk(old), args.repeat)
        compared = median_ms(lambda: compare(old, new, endpoint), args.repeat)
        bare = median_ms(lambda: compare(old, new), args.repeat)
    print(f"floor: plain walk of both bodies  {floor_both:8.1f} ms (median of {args.repeat})")
    print(f"floor: plain walk of one body     {floor_one:8.1f} ms")
    print(f"compare, with the endpoint        {compared:8.1f} ms "
          f"({len(findings)} findings)")  # fmt: skip
    print(f"compare, without an endpoint      {bare:8.1f} ms")
    print(f"ratio compare / walk of both bodies: {compared / floor_both:.2f}x (target <= 3x); "
          f"/ walk of one body: {compared / floor_one:.2f}x")  # fmt: skip

    if args.deepdiff_repeat < 1:
        return
    from deepdiff import DeepDiff

    changes: list[int] = []

    def deep() -> None:
        diff = DeepDiff(old, new, threshold_to_diff_deeper=0)
        changes.append(sum(len(v) for v in diff.values()))

    raw = median_ms(deep, args.deepdiff_repeat)
    print(f"for context, plain DeepDiff on the raw bodies: {raw:8.1f} ms, "
          f"{changes[-1]} changes reported ({raw / compared:.0f}x compare)")  # fmt: skip


if __name__ == "__main__":
    main()
