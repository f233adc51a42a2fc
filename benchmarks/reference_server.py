"""Benchmarks of the reference server on this machine: build time, throughput, HTTP overhead.

    .venv/bin/python benchmarks/reference_server.py            # everything, a Markdown table
    .venv/bin/python benchmarks/reference_server.py --json     # the same numbers as JSON

Every figure is a wall-clock measurement on the tiny embedded model. The
server runs in this process (uvicorn in a thread, as `conformance run` starts
it); clients are httpx in threads. Results depend on what else the machine is
doing: the load average before and after is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from conformance.contract import run_path
from conformance.server.app import create_app
from conformance.server.embedded import serving
from conformance.server.engines.base import Cancellation, Finished, GenerationRequest


def build_time() -> dict[str, float]:
    from conformance.server import tiny_model

    with tempfile.TemporaryDirectory() as folder:
        os.environ["CONFORMANCE_CACHE_DIR"] = folder
        started = time.perf_counter()
        tiny_model.ensure_tiny_model()
        elapsed = time.perf_counter() - started
    del os.environ["CONFORMANCE_CACHE_DIR"]
    return {"build_s": elapsed}


def body(index: int, max_tokens: int, stream: bool) -> dict[str, Any]:
    return {"prompt": f"Tell me a story number {index}", "max_tokens": max_tokens, "seed": index + 1,
            "stream": stream}  # fmt: skip


def one_http(client: httpx.Client, url: str, index: int, max_tokens: int, stream: bool) -> tuple[int, float]:
    """Completion tokens and, for streams, the time to the first event."""
    started = time.perf_counter()
    if not stream:
        reply = client.post(url, json=body(index, max_tokens, False))
        reply.raise_for_status()
        return int(reply.json()["result"]["usage"]["completion_tokens"]), time.perf_counter() - started
    first = 0.0
    tokens = 0
    with client.stream("POST", url, json=body(index, max_tokens, True)) as reply:
        reply.raise_for_status()
        for line in reply.iter_lines():
            if not line.startswith("data: {"):
                continue
            if not first:
                first = time.perf_counter() - started
            event = json.loads(line[len("data: ") :])
            if "usage" in event:
                tokens = int(event["usage"]["completion_tokens"])
    return tokens, first


def throughput(url: str, *, clients: int, requests: int, max_tokens: int, stream: bool) -> dict[str, float]:
    with httpx.Client(timeout=300) as client:
        one_http(client, url, 0, max_tokens, stream)  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(lambda i: one_http(client, url, i, max_tokens, stream), range(requests)))
        wall = time.perf_counter() - started
    tokens = sum(t for t, _ in results)
    return {
        "clients": clients,
        "requests": requests,
        "stream": stream,
        "max_tokens": max_tokens,
        "wall_s": wall,
        "requests_per_s": requests / wall,
        "tokens_per_s": tokens / wall,
        "median_latency_or_ttfe_s": statistics.median(x for _, x in results),
    }


def engine_direct(engine: Any, *, requests: int, max_tokens: int) -> dict[str, float]:
    def run(index: int) -> int:
        request = GenerationRequest(prompt=f"Tell me a story number {index}", max_tokens=max_tokens, seed=index + 1)
        finished = [e for e in engine.generate(request, Cancellation()) if isinstance(e, Finished)][0]
        return finished.usage.completion_tokens

    run(0)
    latencies = []
    tokens = 0
    for index in range(requests):
        started = time.perf_counter()
        tokens += run(index)
        latencies.append(time.perf_counter() - started)
    return {"mean_s": statistics.mean(latencies), "median_s": statistics.median(latencies),
            "tokens_per_s": tokens / sum(latencies)}  # fmt: skip


def http_sequential(url: str, *, requests: int, max_tokens: int) -> dict[str, float]:
    latencies = []
    with httpx.Client(timeout=300) as client:
        one_http(client, url, 0, max_tokens, False)
        for index in range(requests):
            started = time.perf_counter()
            one_http(client, url, index, max_tokens, False)
            latencies.append(time.perf_counter() - started)
    return {"mean_s": statistics.mean(latencies), "median_s": statistics.median(latencies)}


def timed(label: str, function: Callable[[], Any]) -> Any:
    print(f"... {label}", file=sys.stderr, flush=True)
    return function()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()

    from conformance.server.engines.transformers_engine import TransformersEngine
    from conformance.server.tiny_model import ensure_tiny_model

    results: dict[str, Any] = {"load_before": os.getloadavg(), "cpus": os.cpu_count()}
    results["build"] = timed("building the tiny model", build_time)
    engine = TransformersEngine.load(ensure_tiny_model())
    with serving(create_app(engine)) as origin:
        url = origin + "/client/v4" + run_path("bench")
        results["throughput"] = [
            timed(f"{c} client(s), stream={s}", lambda c=c, s=s: throughput(
                url, clients=c, requests=8 * c, max_tokens=args.max_tokens, stream=s))
            for s in (False, True) for c in (1, 8)
        ]  # fmt: skip
        results["overhead"] = {}
        for max_tokens in (1, args.max_tokens):
            direct = timed(f"engine direct, {max_tokens}", lambda m=max_tokens: engine_direct(
                engine, requests=30, max_tokens=m))  # fmt: skip
            http = timed(f"http sequential, {max_tokens}", lambda m=max_tokens: http_sequential(
                url, requests=30, max_tokens=m))  # fmt: skip
            results["overhead"][max_tokens] = {"engine": direct, "http": http,
                                               "overhead_ms": 1000 * (http["median_s"] - direct["median_s"])}  # fmt: skip
    results["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"CPUs: {results['cpus']}; load average before {results['load_before']}, after {results['load_after']}")
    print(f"\nTiny model build (fresh cache, torch already imported): {results['build']['build_s']:.2f} s\n")
    print("| clients | streamed | requests | max_tokens | requests/s | tokens/s | median latency (streams: first event) |")
    print("| ---: | :---: | ---: | ---: | ---: | ---: | ---: |")
    for row in results["throughput"]:
        print(f"| {row['clients']} | {'yes' if row['stream'] else 'no'} | {row['requests']} | {row['max_tokens']} "
              f"| {row['requests_per_s']:.2f} | {row['tokens_per_s']:.0f} | {row['median_latency_or_ttfe_s'] * 1000:.0f} ms |")  # fmt: skip
    print("\n| max_tokens | engine direct (median) | over HTTP (median) | server overhead |")
    print("| ---: | ---: | ---: | ---: |")
    for max_tokens, row in results["overhead"].items():
        print(f"| {max_tokens} | {row['engine']['median_s'] * 1000:.1f} ms | {row['http']['median_s'] * 1000:.1f} ms "
              f"| {row['overhead_ms']:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
