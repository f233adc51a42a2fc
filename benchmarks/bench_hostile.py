"""Measures `conformance run` against each hostile behaviour: wall time, exit code, peak RSS.

    .venv/bin/python benchmarks/bench_hostile.py [--profile smoke] [--response-timeout 1] [--concurrency 16]
        [--defaults] [BEHAVIOUR ...]

Each run is the real CLI in a subprocess (peak RSS from wait4) against
`tests/support/hostile_server.py`. ``--defaults`` runs it as a user would, with no
short caps and the default concurrency. Prints a Markdown table;
docs/runner.md quotes it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the hostile server lives with the tests

from support.hostile_server import BEHAVIOURS, MIXED, hostile_server  # noqa: E402


def measure(behaviour: str, profile: str, bounds: list[str]) -> tuple[float, int, float, str]:
    """Wall seconds, exit code, peak RSS in MiB and the verdict line of one run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env.update(CI="1", CLOUDFLARE_API_TOKEN="bench-token")
    with tempfile.TemporaryDirectory() as folder, hostile_server(behaviour) as url:
        args = [sys.executable, "-m", "conformance", "run", "--base-url", url, "--account-id", "X"]
        args += ["--profile", profile, "--seed", "1", *bounds, "--report-dir", folder]
        started = time.perf_counter()
        child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=folder)
        assert child.stdout is not None
        output = child.stdout.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
    verdict = output.splitlines()[0] if output else ""
    return wall, child.returncode, usage.ru_maxrss / 1024, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("behaviours", nargs="*", default=[*BEHAVIOURS, MIXED])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--response-timeout", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--defaults", action="store_true", help="no short caps, the default concurrency")
    args = parser.parse_args()
    bounds = [] if args.defaults else ["--timeout", "2", "--concurrency", str(args.concurrency)]
    bounds += [] if args.defaults else ["--response-timeout", str(args.response_timeout)]
    print("| behaviour | exit | wall | peak RSS | verdict |")
    print("| --- | ---: | ---: | ---: | --- |")
    for behaviour in args.behaviours:
        wall, code, rss, verdict = measure(behaviour, args.profile, bounds)
        print(
            f"| `{behaviour}` | {code} | {wall:.1f} s | {rss:.0f} MiB | {verdict.split(';')[0]} |", flush=True
        )


if __name__ == "__main__":
    main()
