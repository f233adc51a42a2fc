"""Figures for docs/load.md: judging cost per check, exchanges judged per second, the reference server under load.

    .venv/bin/python benchmarks/load.py judging              # microseconds per check, JSON and a 256-event stream
    .venv/bin/python benchmarks/load.py loopback [SECONDS]   # one Locust process against zero_latency_server.py
    .venv/bin/python benchmarks/load.py reference [SECONDS]  # conformance load --embedded, 8 users

Prints Markdown rows. Run on a quiet machine if you can, and say how loaded it was (uptime).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def judging() -> None:
    from conformance.checks import RunFacts, registry
    from conformance.generation import Case, CaseKind
    from conformance.load.judging import judge
    from conformance.transport import Exchange, StreamFacts, Timing

    checks = [c for c in registry.all() if not c.is_scenario]
    usage = {"prompt_tokens": 3, "completion_tokens": 100, "total_tokens": 103}
    body = {"result": {"response": "word " * 100, "usage": usage}, "success": True, "errors": [], "messages": []}
    case = Case.build(CaseKind.VALID, "x", "x", {"prompt": "hi", "max_tokens": 256})
    plain = Exchange("POST", "http://x", {}, case.body, 200, {"content-type": "application/json"},
                     json.dumps(body).encode(), timing=Timing(0.1))
    scase = Case.build(CaseKind.VALID, "y", "y", {"prompt": "hi", "max_tokens": 256, "stream": True})
    last = {"response": "", "usage": {**usage, "completion_tokens": 256, "total_tokens": 259}}
    events = (*(json.dumps({"response": "word ", "p": "abc"}) for _ in range(256)), json.dumps(last), "[DONE]")
    streamed = Exchange("POST", "http://x", {}, scase.body, 200, {"content-type": "text/event-stream"}, b"",
                        stream=StreamFacts(events, 10000, True), timing=Timing(1.0))
    print("| answer | check | µs per exchange |\n| --- | --- | ---: |")
    for name, c, exchange, n in (("JSON", case, plain, 500), ("stream, 256 events", scase, streamed, 50)):
        spent: dict[str, float] = {}
        for _ in range(n):
            judged = judge(c, exchange, checks, RunFacts(), sample=lambda _: True)
            for check_id, seconds in judged.seconds.items():
                spent[check_id] = spent.get(check_id, 0.0) + seconds
        for check_id, seconds in spent.items():
            if check_id in judged.statuses:
                print(f"| {name} | `{check_id}` | {seconds / n * 1e6:,.0f} |")


def _load(arguments: list[str], env: dict[str, str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "conformance", "load", *arguments, "--report-dir", folder]
        subprocess.run(command, env=env, check=False, capture_output=True)
        return json.loads((Path(folder) / "results.json").read_text())  # type: ignore[no-any-return]


def loopback(seconds: str) -> None:
    server = subprocess.Popen([sys.executable, str(HERE / "zero_latency_server.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
        print("| mix | users | exchanges | judged per second | p50 latency | verdict |\n| --- | ---: | ---: | ---: | ---: | --- |")
        for mix in ("valid=1", "stream=1"):
            document = _load(["--base-url", url, "--account-id", "X", "--users", "32", "--spawn-rate", "1000",
                              "--run-time", f"{seconds}s", "--mix", mix, "--seed", "1"], env)
            load = document["load"]
            assert isinstance(load, dict)
            p50 = load["latency"]["total_s"]["p50"]
            print(f"| {mix} | 32 | {load['exchanges']:,} | {load['requests_per_second']:,} | {p50 * 1000:.1f} ms "
                  f"| {document['verdict']} |")
    finally:
        server.terminate()
        server.wait()


def reference(seconds: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    started = time.perf_counter()
    document = _load(["--embedded", "--users", "8", "--spawn-rate", "8", "--run-time", f"{seconds}s", "--seed", "1"], env)
    load = document["load"]
    assert isinstance(load, dict)
    fives = sum(v for k, v in load["statuses"].items() if k.startswith("5"))
    print("| users | exchanges | per second | tokens/s | p95 TTFE | p95 latency | 5xx | verdict | wall |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    print(f"| 8 | {load['exchanges']:,} | {load['requests_per_second']} | {load['tokens']['per_second']} "
          f"| {load['latency']['ttfe_s']['p95']} s | {load['latency']['total_s']['p95']} s | {fives} "
          f"| {document['verdict']} | {time.perf_counter() - started:.0f} s |")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "judging"
    {"judging": lambda: judging(), "loopback": lambda: loopback(sys.argv[2] if len(sys.argv) > 2 else "15"),
     "reference": lambda: reference(sys.argv[2] if len(sys.argv) > 2 else "20")}[what]()
