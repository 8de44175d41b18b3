"""Benchmark: the replay server (`contracts serve`) and the live path, each against a floor.

Serving. In a temporary folder, the real OpenRouter contracts and cassettes, with the
`/models` cassette grown to about 1.5 MB (model entries copied from the committed one).
Per request, over loopback with one keep-alive httpx client:

- floor: a bare `http.server.ThreadingHTTPServer` handler sending the same bytes, already
  in memory, with a Content-Length (the least any server on the standard library pays);
- serve: `ReplayServer` answering from the cassettes (route, choice of interaction,
  body, chunked event stream).

for the 1.5 MB `/models` body, a small chat completion and a streamed one.

Under load. `contracts serve` in its own process, 50 clients at once, each opening a fresh
connection per request (a small chat completion): p50, p99 and connections refused,
against the same load on the floor server with the same backlog. Target: p99 within 5x
p50, and none refused (the standard library's backlog of 5 refuses such bursts).

Recording. `record_provider` for all six OpenRouter endpoints against the replay server
(calls, scrubbing, validation, drift against the committed cassettes, nothing written),
against the floor of what any recorder does: the same six requests with a plain httpx
client, each answer decoded and written as a cassette with an atomic write.

    .venv/bin/python scripts/bench_serve.py            # print the tables
    .venv/bin/python scripts/bench_serve.py --check    # exit 1 when a ratio exceeds its limit
"""

from __future__ import annotations

import argparse
import copy
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import orjson

from provider_contracts.cassettes import cassette as cassettes
from provider_contracts.contract.registry import Registry
from provider_contracts.contract.schemas import store_for
from provider_contracts.files import write_atomic
from provider_contracts.live.caller import RetryPolicy
from provider_contracts.live.record import record_provider
from provider_contracts.replay.server import ReplayServer

REPO = Path(__file__).resolve().parent.parent
TARGET_BYTES = 1_500_000
KEY = "sk-or-v1-" + "0" * 64
CHAT = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Say OK"}],
    "max_tokens": 1,
}
LIMITS = {"models": 1.5, "chat": 2.0, "stream": 2.0, "record": 10.0}
CLIENTS = 50
TAIL_LIMIT = 5.0  # p99 / p50 under load
CONTRACTS = str(Path(sys.executable).with_name("contracts"))


def build(root: Path) -> Path:
    """A project with the real OpenRouter contracts and a 1.5 MB `/models` cassette."""
    (root / "contracts").mkdir(parents=True)
    for part in ("_shared", "openrouter"):
        shutil.copytree(REPO / "contracts" / part, root / "contracts" / part)
    shutil.copytree(REPO / "cassettes" / "openrouter", root / "cassettes" / "openrouter")
    path = root / "cassettes" / "openrouter" / "models.json"
    doc = orjson.loads(path.read_bytes())
    body = doc["interactions"][0]["response"]["body"]["json"]
    template = body["data"][0]
    per_model = len(orjson.dumps(template))
    body["data"] = []
    for n in range(TARGET_BYTES // per_model):
        model = copy.deepcopy(template)
        model["id"] = f"vendor/model-{n}"
        model["name"] = f"Vendor: Model {n}"
        body["data"].append(model)
    path.write_bytes(cassettes.dumps(doc))
    return root


class _Floor(BaseHTTPRequestHandler):
    """Sends the bytes registered for the path, nothing else."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as the replay server: no delayed-ACK stall
    bodies: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        payload, content_type = self.bodies[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_GET


def load(host: str, port: int, path: str, body: bytes, per_client: int) -> tuple[list[float], int]:
    """`CLIENTS` threads, each sending `per_client` requests on a fresh connection each;
    the latencies of those answered, and how many connections were refused or reset."""
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)
    headers = {"Content-Type": "application/json", "Connection": "close"}

    def client() -> None:
        nonlocal refused
        start.wait()
        for _ in range(per_client):
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(host, port, timeout=30)
                connection.request("POST", path, body, headers)
                connection.getresponse().read()
                connection.close()
            except OSError:
                with lock:
                    refused += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, refused


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def under_load(root: Path, per_client: int) -> bool:
    """The concurrent case; True when a target is missed."""
    process = subprocess.Popen(
        [CONTRACTS, "--root", str(root), "serve", "openrouter"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" on ")[1].split()[0]
        host, port = url.removeprefix("http://").split(":")
        body = orjson.dumps(CHAT)
        answer = httpx.post(f"{url}/api/v1/chat/completions", content=body)
        _Floor.bodies["/chat"] = (answer.content, answer.headers["content-type"])
        floor = ThreadingHTTPServer(("127.0.0.1", 0), _Floor, bind_and_activate=False)
        floor.request_queue_size = 128  # as the replay server
        floor.server_bind()
        floor.server_activate()
        threading.Thread(target=floor.serve_forever, daemon=True).start()
        # Drain the server's log lines, so that a full pipe never stalls it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        rows = {
            "floor": load("127.0.0.1", floor.server_address[1], "/chat", body, per_client),
            "serve": load(host, int(port), "/api/v1/chat/completions", body, per_client),
        }
        floor.shutdown()
        floor.server_close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"under load: {CLIENTS} clients x {per_client} requests, a fresh connection each")
    missed = False
    for name, (latencies, refused) in rows.items():
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        print(
            f"  {name:<7} p50 {p50 * 1e3:7.2f} ms   p99 {p99 * 1e3:7.2f} ms   "
            f"p99/p50 {p99 / p50:5.2f}x   refused {refused}"
        )
        if name == "serve":
            missed = p99 > TAIL_LIMIT * p50 or refused > 0
    print(f"  target: serve p99 within {TAIL_LIMIT}x p50, none refused")
    return missed


def timed(func: Callable[[], Any], repeat: int) -> float:
    """The median time of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per measurement")
    parser.add_argument("--runs", type=int, default=11, help="alternated batches per body")
    parser.add_argument("--check", action="store_true", help="exit 1 above a ratio's limit")
    parser.add_argument(
        "--load", type=int, default=20, help="requests per client in the concurrent case"
    )
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = build(Path(tmp) / "project")
        failed |= under_load(root, args.load)
        registry = Registry.load(root / "contracts")
        provider = registry.provider("openrouter")
        replay = ReplayServer([provider], root / "cassettes")
        url = replay.start()
        base = replay.base_url("openrouter")
        with httpx.Client() as client:
            requests = {
                "models": ("GET", "/models", None),
                "chat": ("POST", "/chat/completions", CHAT),
                "stream": ("POST", "/chat/completions", {**CHAT, "stream": True}),
            }
            for name, (method, path, body) in requests.items():
                answer = client.request(method, base + path, json=body)
                _Floor.bodies[f"/{name}"] = (answer.content, answer.headers["content-type"])
            floor = ThreadingHTTPServer(("127.0.0.1", 0), _Floor)
            threading.Thread(target=floor.serve_forever, daemon=True).start()
            floor_url = f"http://127.0.0.1:{floor.server_address[1]}"
            size = len(_Floor.bodies["/models"][0])
            print(
                f"per request, median of {args.runs} batches of {args.repeat} (one keep-alive client, loopback); "
                f"/models body {size / 1e6:.2f} MB"
            )
            for name, (method, path, body) in requests.items():

                def serve(m: str = method, p: str = path, b: Any = body) -> None:
                    client.request(m, base + p, json=b).read()

                def bare(n: str = name, m: str = method, b: Any = body) -> None:
                    client.request(m, f"{floor_url}/{n}", json=b).read()

                serve()
                bare()
                # Alternated batches, so that a busy moment of the machine hits both.
                floor_times, serve_times = [], []
                for _ in range(args.runs):
                    floor_times.append(timed(lambda: [bare() for _ in range(args.repeat)], 1))
                    serve_times.append(timed(lambda: [serve() for _ in range(args.repeat)], 1))
                f_median = statistics.median(floor_times)
                s_median = statistics.median(serve_times)
                ratio = s_median / f_median
                failed |= ratio > LIMITS[name]
                print(
                    f"  {name:<7} floor {f_median / args.repeat * 1e3:7.2f} ms   "
                    f"serve {s_median / args.repeat * 1e3:7.2f} ms   "
                    f"ratio {ratio:5.2f}x (limit {LIMITS[name]}x)"
                )
            floor.shutdown()
            floor.server_close()

            endpoints = list(provider.endpoints.values())
            paths = [
                (e.method, base + e.path, e.probe.get("json"), e.probe.get("query"))
                for e in endpoints
            ]

            def plain() -> None:
                """The least a recorder does: call, keep the answer, write it atomically."""
                for n, (method, target, body, query) in enumerate(paths):
                    answer = client.request(method, target, json=body, params=query or None)
                    kept = cassettes.Body.from_raw(answer.content, answer.headers["content-type"])
                    doc = {
                        "version": 1,
                        "interactions": [
                            {
                                "request": {"method": method, "uri": target},
                                "response": {
                                    "status": {"code": answer.status_code},
                                    "body": kept.to_stored(),
                                },
                            }
                        ],
                    }
                    write_atomic(Path(tmp) / "floor" / f"{n}.json", cassettes.dumps(doc))

            def record() -> None:
                record_provider(
                    provider,
                    endpoints,
                    key=KEY,
                    target=Path(tmp) / "scratch",
                    committed=root / "cassettes",
                    store=store,
                    base_url=base,
                    policy=RetryPolicy(retries=0),
                )

            store = store_for(root / "contracts")
            record()  # warm: schemas compiled once, as in a run over several providers
            rounds = max(3, args.repeat // 6)
            plain_times, record_times = [], []
            for _ in range(rounds):
                plain_times.append(timed(plain, 1))
                record_times.append(timed(record, 1))
            p_median = statistics.median(plain_times)
            r_median = statistics.median(record_times)
            ratio = r_median / p_median
            failed |= ratio > LIMITS["record"]
            print(f"recording {len(endpoints)} endpoints, median of {rounds}:")
            print(
                f"  floor (call, decode, write) {p_median * 1e3:7.1f} ms   "
                f"record_provider {r_median * 1e3:7.1f} ms   ratio {ratio:5.2f}x "
                f"(limit {LIMITS['record']}x)"
            )
        replay.stop()
        print(f"replay server was {url}")
    if args.check and failed:
        print("a ratio is above its limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
