"""Benchmark: scrubbing (record's path, with the key's masker) and `contracts scan` against a floor.

Every committed cassette is read and scaled up: its interactions repeated (--copies) with
their ids, texts and numbers varied, and every event stream lengthened to --events data
events (deltas of real recorded chunks), so the text is what a large recording session
writes. No secret is planted: this measures the common case, a clean answer searched
for every form of every secret.

In the same run, times (the best of --repeat runs; the floor, of 10x as many) over the
same text:

- the floor: one compiled regular expression (the OpenRouter key format) searched over the
  stored text of every interaction; any scrubber reads the text at least once;
- scrub: `scrub_interaction(interaction, provider, Masker([key]))` for each interaction
  (names, known formats as written, in base64 and escaped, the key in every spelling,
  secrets split across stream deltas);
- scan: `find_secrets(text)` over each stored cassette text, as `contracts scan` does.

and prints MB/s and the ratios to the floor. Target: scrub and scan each within
--target times the floor (default 400: the floor is one literal-led pattern that
`re` skips through at memory speed; scrubbing tries every encoding of every format, the
key, the names and the stream joins, in Python); `--check` exits 1 when either is over it.

    python scripts/bench_scrub.py [--copies 20] [--events 400] [--repeat 5] [--check]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from provider_contracts.cassettes.cassette import Cassette, Interaction, dumps, read, to_dict
from provider_contracts.cassettes.mask import Masker
from provider_contracts.cassettes.scan import find_secrets
from provider_contracts.cassettes.scrub import scrub_interaction
from provider_contracts.contract.body import Body
from provider_contracts.contract.registry import Provider, Registry

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-or-v1-" + "3b9f0c1d7e2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
FLOOR = re.compile(r"sk-or-v1-[A-Za-z0-9]{20,}")


def _varied(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return f"{value} {n}" if value and not value.startswith(("http", "data:")) else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value + n
    if isinstance(value, dict):
        return {k: _varied(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_varied(v, n) for v in value]
    return value


def _longer_stream(text: str, events: int) -> str:
    data = [line for line in text.split("\n") if line.startswith("data: {")]
    if not data:
        return text
    lines = []
    for n in range(events):
        line = data[n % len(data)]
        try:
            chunk = orjson.loads(line[6:])
        except orjson.JSONDecodeError:
            lines.append(line)
            continue
        lines.append("data: " + orjson.dumps(_varied(chunk, n)).decode())
    return "\n\n".join([*lines, "data: [DONE]", ""])


def corpus(copies: int, events: int) -> list[tuple[Interaction, Provider | None]]:
    registry = Registry.load(REPO / "contracts")
    found = []
    for path in sorted((REPO / "cassettes").rglob("*.json")):
        provider_name = path.relative_to(REPO / "cassettes").parts[0]
        provider = registry.provider(provider_name) if provider_name in registry.names else None
        for interaction in read(path).interactions:
            for n in range(copies):
                body = interaction.response.body
                if body.kind == "sse":
                    body = Body("sse", _longer_stream(str(body.value), events))
                elif body.kind == "json":
                    body = Body("json", _varied(body.value, n))
                response = replace(interaction.response, body=body)
                found.append((replace(interaction, response=response), provider))
    return found


def stored(interaction: Interaction) -> str:
    return dumps(to_dict(Cassette(Path("x.json"), {}, (interaction,)))).decode()


def best(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of `repeat` runs in CPU time: on a shared machine, the least disturbed."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=float, default=400.0)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    items = corpus(args.copies, args.events)
    texts = [stored(interaction) for interaction, _ in items]
    size = sum(map(len, texts)) / 1e6
    masker = Masker([KEY])

    floor = best(10 * args.repeat, lambda: [FLOOR.findall(text) for text in texts])
    scrub = best(args.repeat, lambda: [scrub_interaction(i, p, masker) for i, p in items])
    scan = best(args.repeat, lambda: [find_secrets(text) for text in texts])
    assert not any(find_secrets(stored(scrub_interaction(i, p, masker))) for i, p in items[:50])

    print(f"{len(items)} interactions, {size:.1f} MB of cassette text")
    for name, seconds in (("floor (one regex)", floor), ("scrub", scrub), ("scan", scan)):
        ratio = seconds / floor
        print(
            f"{name:18} {seconds * 1000:9.1f} ms  {size / seconds:8.1f} MB/s  {ratio:6.1f}x floor"
        )
    worst = max(scrub, scan) / floor
    print(f"target: scrub and scan within {args.target:g}x the floor; worst {worst:.1f}x")
    if args.check and worst > args.target:
        print("over target")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
