"""Measures the runner: requests per second against a zero-latency server, and the smoke profile's time.

    .venv/bin/python benchmarks/bench_runner.py [--requests 2000] [--concurrency 4] [--repeat 3]

Prints a Markdown table; docs/runner.md quotes it with the machine it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the conformant fake server lives with the tests

from conformance.generation import Case, CaseKind  # noqa: E402
from conformance.runner import RunConfig, RunFinished, RunResult, run  # noqa: E402
from conformance.transport import Client, TransportSettings  # noqa: E402
from support.fake_server import fake_server  # noqa: E402

TOKEN = "bench-token"


def _finish(config: RunConfig) -> RunResult:
    final = list(run(config))[-1]
    assert isinstance(final, RunFinished)
    return final.result


def transport_only(url: str, requests: int, concurrency: int) -> float:
    async def go() -> float:
        settings = TransportSettings(concurrency=concurrency)
        async with Client(url, "X", token=TOKEN, settings=settings) as client:
            started = time.perf_counter()
            await asyncio.gather(*(client.send({"prompt": f"p{i}"}) for i in range(requests)))
            return requests / (time.perf_counter() - started)

    return asyncio.run(go())


def full_run(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    cases = tuple(
        Case.build(CaseKind.VALID, f"bench-{i}", "bench", {"prompt": f"p{i}", "stream": i % 4 == 0})
        for i in range(requests)
    )
    config = RunConfig(
        base_url=url,
        account_id="X",
        token=TOKEN,
        seed=1,
        cases=cases,
        concurrency=concurrency,
        exclude_checks=(
            "auth_enforced",
            "same_seed_same_text",
            "temperature_zero_deterministic",
            "stream_matches_non_stream",
        ),
    )
    started = time.perf_counter()
    result = _finish(config)
    elapsed = time.perf_counter() - started
    assert result.verdict == "pass", result.counts
    return result.counts["requests"] / elapsed, elapsed


def smoke(concurrency: int) -> tuple[float, int]:
    with fake_server(token=TOKEN) as url:
        started = time.perf_counter()
        config = RunConfig(
            base_url=url, account_id="X", token=TOKEN, seed=1, profile="smoke", concurrency=concurrency
        )
        result = _finish(config)
        return time.perf_counter() - started, result.counts["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is printed")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "zero_latency_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        transport_only(url, 100, args.concurrency)  # warm up
        raws = sorted(transport_only(url, args.requests, args.concurrency) for _ in range(args.repeat))
        fulls = sorted(full_run(url, args.requests, args.concurrency) for _ in range(args.repeat))
    finally:
        server.terminate()
        server.wait()
    smokes = sorted(smoke(args.concurrency) for _ in range(args.repeat))
    raw, (judged, elapsed), (smoke_s, smoke_requests) = (
        raws[len(raws) // 2],
        fulls[len(fulls) // 2],
        smokes[len(smokes) // 2],
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"median of {args.repeat} runs each")
    print("| measurement | value |")
    print("| --- | ---: |")
    print(
        f"| transport only, zero-latency server, {args.requests} requests, concurrency {args.concurrency} "
        f"| {raw:.0f} requests/s (range {raws[0]:.0f}-{raws[-1]:.0f}) |"
    )
    print(
        f"| full run (send, every exchange check, results), {args.requests} cases | {judged:.0f} requests/s "
        f"({elapsed:.1f} s) |"
    )
    print(
        f"| smoke profile against the conformant fake server ({smoke_requests} requests) | {smoke_s:.2f} s |"
    )


if __name__ == "__main__":
    main()
