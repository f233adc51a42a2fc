"""What `conformance run` and `conformance fuzz` each catch, on the same servers broken on purpose.

    .venv/bin/python benchmarks/fuzz_vs_run.py [--profile smoke] [--max-examples 5] [--fault NAME ...]

One fake server per fault (tests/support/fake_server.py), plus a conformant one; each
command runs once against each, through the real CLI. Prints a Markdown table:
fault, caught by run / by fuzz (exit 1), wall time and requests sent.
docs/fuzz.md quotes it with the command.
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
sys.path.insert(0, str(HERE.parent / "tests"))  # the fake server lives with the tests

from support.fake_server import fake_server  # noqa: E402

TOKEN = "bench-token"
CONFORMANCE = str(Path(sys.executable).parent / "conformance")
FAULTS = (
    "",  # conformant: neither may fail
    "server_error",
    "accept_invalid",
    "reject_valid",
    "bad_result",
    "stream_no_done",
    "too_many_tokens",
    "no_auth",
    "nondeterministic",
    "other_methods_500",
    "counts_utf16",
    "stream_no_blank_line",
    "accept_unknown_model",
)


def measure(command: list[str], fault: str) -> tuple[int, float, int]:
    """Exit code, wall seconds and requests the server received."""
    faults = {fault} if fault else set()
    stats: dict[str, int] = {}
    with fake_server(faults, token=TOKEN, stats=stats) as url, tempfile.TemporaryDirectory() as reports:
        target = ["--base-url", url, "--account-id", "X", "--seed", "1", "--report-dir", reports]
        started = time.perf_counter()
        done = subprocess.run(
            [CONFORMANCE, *command, *target],
            env={**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN, "CI": "1"},
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
    return done.returncode, wall, stats["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--fault", action="append", help="only these faults ('' is the conformant server)")
    args = parser.parse_args()
    run_command = ["run", "--profile", args.profile]
    fuzz_command = ["fuzz", "--max-examples", str(args.max_examples)]
    print(f"| fault | run --profile {args.profile} | fuzz --max-examples {args.max_examples} |")
    print("| --- | --- | --- |")
    for fault in args.fault if args.fault is not None else FAULTS:
        cells = []
        for command in (run_command, fuzz_command):
            code, wall, sent = measure(command, fault)
            verdict = {0: "passed", 1: "**caught**"}.get(code, f"exit {code}")
            cells.append(f"{verdict} ({wall:.0f} s, {sent} requests)")
        print(f"| {fault or '(conformant)'} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
