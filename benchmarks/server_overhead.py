"""The reference server's overhead over its engine: tokens/s through HTTP against calling the engine directly.

    .venv/bin/python benchmarks/server_overhead.py                 # tiny model and tiny AWQ, a Markdown table
    .venv/bin/python benchmarks/server_overhead.py --json
    .venv/bin/python benchmarks/server_overhead.py --model-path DIR --device cuda:0

For each model: one stream and eight concurrent streams, first with
``engine.generate`` called from threads (no HTTP), then as streamed requests
to the same engine served in this process (uvicorn in a thread, httpx
clients in threads). Every request is seeded, so both sides generate the
same tokens. Tokens/s is completion tokens over wall time; each figure is
the median of ``--rounds`` rounds that alternate engine and HTTP, so a change
in the machine's load hits both sides alike. The overhead is the share of
the engine's rate that HTTP loses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from conformance.contract import run_path
from conformance.server.app import create_app
from conformance.server.embedded import serving
from conformance.server.engines.base import Cancellation, Finished, GenerationRequest


def request_body(index: int, max_tokens: int) -> dict[str, Any]:
    return {"prompt": f"Tell me a story number {index}", "max_tokens": max_tokens, "seed": index + 1}


def direct(engine: Any, index: int, max_tokens: int) -> int:
    request = GenerationRequest(**request_body(index, max_tokens))
    events = list(engine.generate(request, Cancellation()))
    finished = events[-1]
    assert isinstance(finished, Finished)
    return finished.usage.completion_tokens


def over_http(client: httpx.Client, url: str, index: int, max_tokens: int) -> int:
    tokens = 0
    with client.stream("POST", url, json={**request_body(index, max_tokens), "stream": True}) as reply:
        reply.raise_for_status()
        for line in reply.iter_lines():
            if line.startswith("data: {") and '"usage"' in line:
                tokens = int(json.loads(line[len("data: ") :])["usage"]["completion_tokens"])
    return tokens


def rate(call: Any, *, streams: int, requests: int) -> dict[str, float]:
    call(0)  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=streams) as pool:
        tokens = sum(pool.map(call, range(requests)))
    wall = time.perf_counter() - started
    return {"tokens": tokens, "wall_s": wall, "tokens_per_s": tokens / wall}


def median_rates(runs: list[dict[str, float]]) -> dict[str, float]:
    return {"tokens_per_s": statistics.median(run["tokens_per_s"] for run in runs), "rounds": len(runs)}


def measure(engine: Any, *, max_tokens: int, requests_per_stream: int, rounds: int) -> list[dict[str, Any]]:
    rows = []
    with serving(create_app(engine)) as origin, httpx.Client(timeout=600) as client:
        url = origin + "/client/v4" + run_path("bench")
        for streams in (1, 8):
            requests = streams * requests_per_stream
            print(f"... {engine.name}: {streams} stream(s)", file=sys.stderr, flush=True)
            engine_runs, http_runs = [], []
            for _ in range(rounds):
                engine_runs.append(
                    rate(lambda i: direct(engine, i, max_tokens), streams=streams, requests=requests)
                )
                http_runs.append(
                    rate(lambda i: over_http(client, url, i, max_tokens), streams=streams, requests=requests)
                )
            engine_rate, http_rate = median_rates(engine_runs), median_rates(http_runs)
            rows.append({
                "streams": streams, "requests": requests, "max_tokens": max_tokens,
                "engine": engine_rate, "http": http_rate,
                "overhead": 1 - http_rate["tokens_per_s"] / engine_rate["tokens_per_s"],
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--requests-per-stream", type=int, default=4)
    parser.add_argument("--model-path", action="append", help="measure this checkpoint (repeatable)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from conformance.server.engines.transformers_engine import TransformersEngine
    from conformance.server.tiny_awq import ensure_tiny_awq_model
    from conformance.server.tiny_model import ensure_tiny_model

    paths = args.model_path or [str(ensure_tiny_model()), str(ensure_tiny_awq_model())]
    results: dict[str, Any] = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                               "load_before": os.getloadavg(), "models": {}}  # fmt: skip
    for path in paths:
        engine = TransformersEngine.load(path, device=args.device)
        results["models"][engine.name] = measure(
            engine,
            max_tokens=args.max_tokens,
            requests_per_stream=args.requests_per_stream,
            rounds=args.rounds,
        )
    results["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    before, after = results["load_before"], results["load_after"]
    threads = results["torch_threads"]
    print(f"CPUs: {results['cpus']}, torch threads {threads}; load average before {before}, after {after}\n")
    print("| engine | streams | requests x max_tokens | engine direct tok/s | over HTTP tok/s | overhead |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rows in results["models"].items():
        for row in rows:
            print(f"| {name} | {row['streams']} | {row['requests']} x {row['max_tokens']} "
                  f"| {row['engine']['tokens_per_s']:.1f} | {row['http']['tokens_per_s']:.1f} "
                  f"| {100 * row['overhead']:.0f}% |")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
