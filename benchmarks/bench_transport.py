"""One request's cost on the client side: httpx's own client, the run's transport, and a bare socket.

    .venv/bin/python benchmarks/bench_transport.py [--requests 300] [--rounds 5]

Each way sends the same small POST, one after another on one keep-alive
connection, to the tests' conformant fake server in a process of its own
(`conformant_server.py`), and reads the whole answer. The bare socket writes
the request by hand and reads the answer by its Content-Length: it is the
floor, what the server and the loopback cost. docs/runner.md ("Speed")
quotes the output. The median of the rounds is printed, in milliseconds a
request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from conformance.transport.http11 import Http11Transport

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
BODY = json.dumps({"prompt": "Hello"}).encode()
HEADERS = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
PATH = "/accounts/X/ai/run/@hf/thebloke/llama-2-13b-chat-awq"


async def via_httpx_client(url: str, count: int) -> float:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for _ in range(count):
            (await client.post(url, content=BODY, headers=HEADERS)).read()
        return time.perf_counter() - started


async def via_run_transport(url: str, count: int) -> float:
    transport = Http11Transport(httpx.Limits(max_connections=1), ssl_context=None)
    async with transport:
        started = time.perf_counter()
        for _ in range(count):
            response = await transport.handle_async_request(
                httpx.Request("POST", url, content=BODY, headers=HEADERS)
            )
            await response.aread()
            await response.aclose()
        return time.perf_counter() - started


async def via_bare_socket(url: str, count: int) -> float:
    parsed = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    head = f"POST {parsed.raw_path.decode()} HTTP/1.1\r\nhost: {parsed.host}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
    request = (head + f"content-length: {len(BODY)}\r\n\r\n").encode() + BODY
    started = time.perf_counter()
    for _ in range(count):
        writer.write(request)
        answer_head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in answer_head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed


WAYS: dict[str, Callable[[str, int], Awaitable[float]]] = {
    "httpx.AsyncClient (httpcore over anyio)": via_httpx_client,
    "the run's transport (h11 over asyncio sockets)": via_run_transport,
    "a bare socket (the floor)": via_bare_socket,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per way and round")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds, interleaved")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "conformant_server.py"), "--token", TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        url = server.stdout.readline().strip() + PATH
        times: dict[str, list[float]] = {label: [] for label in WAYS}
        for round_ in range(args.rounds + 1):  # the first round warms up
            for label, way in WAYS.items():
                elapsed = asyncio.run(way(url, args.requests))
                if round_:
                    times[label].append(elapsed / args.requests * 1000)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    print(f"{args.requests} requests per round, median of {args.rounds} rounds\n")
    print("| way | ms per request |")
    print("| --- | ---: |")
    for label, found in times.items():
        print(f"| {label} | {statistics.median(found):.2f} ({min(found):.2f}-{max(found):.2f}) |")


if __name__ == "__main__":
    main()
