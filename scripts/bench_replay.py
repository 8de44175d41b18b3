"""Per-test cost of replaying a cassette through the pytest plugin's transport, against respx.

What one test pays with the plugin: build its replayer for the marked endpoint (the
cassette itself is cached per session, keyed by path and mtime), make an httpx client on
the replay transport, send the request, read the body. The floor, measured in the same
run: respx serving the same body, already in memory, through a router the test sets up
(`httpx.MockTransport(router.handler)`). Two bodies: a 1.5 MB OpenRouter `/models` list
(built in a temporary folder from the committed cassette's model entries) and a small
chat completion. The one-off cost of the first load is shown apart.

    .venv/bin/python scripts/bench_replay.py            # print the table
    .venv/bin/python scripts/bench_replay.py --check    # exit 1 when a ratio exceeds 2.0
"""

from __future__ import annotations

import argparse
import copy
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import respx

from provider_contracts.cassettes import cassette as cassettes
from provider_contracts.project import project
from provider_contracts.replay.playback import Replayer, Selection, candidates
from provider_contracts.replay.transports import ReplayTransport

REPO = Path(__file__).resolve().parent.parent
BASE = "https://openrouter.ai/api/v1"
TARGET_BYTES = 1_500_000
LIMIT = 2.0


def build_project(folder: Path) -> None:
    """contracts/ copied; cassettes: a 1.5 MB models list and the chat completions."""
    shutil.copytree(REPO / "contracts", folder / "contracts")
    source = orjson.loads((REPO / "cassettes/openrouter/models.json").read_bytes())
    first = source["interactions"][0]
    models = first["response"]["body"]["json"]["data"]
    grown: list[object] = []
    size = 0
    while size < TARGET_BYTES:
        for model in models:
            entry = copy.deepcopy(model)
            entry["id"] = f"{model['id']}-{len(grown)}"
            entry["canonical_slug"] = entry["id"]
            grown.append(entry)
            size += len(orjson.dumps(entry))
    first["response"]["body"]["json"]["data"] = grown
    source["interactions"] = [first]
    target = folder / "cassettes/openrouter"
    target.mkdir(parents=True)
    (target / "models.json").write_bytes(cassettes.dumps(source))
    shutil.copy(
        REPO / "cassettes/openrouter/chat_completions.json", target / "chat_completions.json"
    )


def per_call(action: Callable[[], object], number: int, repeat: int) -> float:
    """The best of `repeat` runs, in seconds per call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            action()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {LIMIT}x")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_project(root)
        ws = project(root)
        cases = [
            ("openrouter/models", "GET", f"{BASE}/models", None, 60),
            (
                "openrouter/chat_completions",
                "POST",
                f"{BASE}/chat/completions",
                {"model": "m"},
                1500,
            ),
        ]
        rows = []
        for endpoint, method, url, payload, number in cases:
            started = time.perf_counter()
            candidates(ws, [Selection(endpoint)])  # the session's first load
            first_load = time.perf_counter() - started
            recorded = Replayer(candidates(ws, [Selection(endpoint)])).answer(
                method, url, orjson.dumps(payload) if payload else None, "application/json"
            )
            body, headers = recorded.content, list(recorded.headers)

            def plugin(
                endpoint: str = endpoint,
                method: str = method,
                url: str = url,
                payload: object = payload,
            ) -> bytes:
                transport = ReplayTransport(Replayer(candidates(ws, [Selection(endpoint)])))
                with httpx.Client(transport=transport) as client:
                    return client.request(method, url, json=payload).content

            def floor(
                method: str = method,
                url: str = url,
                payload: object = payload,
                body: bytes = body,
                headers: list[tuple[str, str]] = headers,
            ) -> bytes:
                router = respx.MockRouter(assert_all_called=False)
                router.route(method=method, url=url).mock(
                    return_value=httpx.Response(200, headers=headers, content=body)
                )
                with httpx.Client(transport=httpx.MockTransport(router.handler)) as client:
                    return client.request(method, url, json=payload).content

            assert plugin() == floor(), f"{endpoint}: the two paths answered different bodies"
            ours = per_call(plugin, number, options.repeat)
            theirs = per_call(floor, number, options.repeat)
            rows.append((endpoint, len(body), first_load, ours, theirs, ours / theirs))

    print(
        f"{'case':30} {'body':>10} {'first load':>11} {'plugin/test':>12} "
        f"{'respx/test':>11} {'ratio':>6}"
    )
    for endpoint, size, first_load, ours, theirs, ratio in rows:
        print(
            f"{endpoint:30} {size:>9,}B {first_load * 1e3:>9.2f}ms {ours * 1e6:>10.1f}us "
            f"{theirs * 1e6:>9.1f}us {ratio:>5.2f}x"
        )
    worst = max(row[-1] for row in rows)
    print(
        f"worst ratio {worst:.2f}x (target <= {LIMIT}x); "
        f"median {statistics.median(row[-1] for row in rows):.2f}x"
    )
    return 1 if options.check and worst > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
