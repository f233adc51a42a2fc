"""Measures `conformance run` against a target that stops answering partway: wall time, exit, verdict.

    .venv/bin/python benchmarks/bench_hung_target.py [--profile standard] [--fault stop_answering] \
        [-- RUN OPTIONS]

The target is `tests/support/fake_server.py` with one switch: ``stop_answering`` (it
answers 40 requests, then reads every request and never answers, as a hung
server does) or ``stall_streams_midway`` (every second stream stops after two
events). The run is the real CLI in a subprocess with default options unless
options follow ``--``. Prints a Markdown row; docs/runner.md quotes it.
"""

from __future__ import annotations

import argparse
import json
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


def measure(profile: str, fault: str, extra: list[str]) -> tuple[float, int, dict[str, object], int]:
    """Wall seconds, exit code, the results document and how many requests the server received."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env.update(CI="1", CLOUDFLARE_API_TOKEN=TOKEN)
    stats: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder, fake_server({fault}, token=TOKEN, stats=stats) as url:
        args = [sys.executable, "-m", "conformance", "run", "--base-url", url, "--account-id", "X"]
        args += ["--profile", profile, "--seed", "1", "--report-dir", folder, *extra]
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=folder)
        wall = time.perf_counter() - started
        results = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    return wall, done.returncode, results, stats["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="standard")
    faults = ["stop_answering", "stall_streams_midway"]
    parser.add_argument("--fault", default="stop_answering", choices=faults)
    parser.add_argument("extra", nargs="*", help="options passed to conformance run (after --)")
    args = parser.parse_args()
    wall, code, results, requests = measure(args.profile, args.fault, args.extra)
    counts = results["counts"]
    assert isinstance(counts, dict)
    not_judged = sum(
        1
        for case in results["cases"]  # type: ignore[attr-defined]
        if str(case.get("error") or "").startswith("not judged")
    )
    options = " ".join(args.extra) or "defaults"
    print("| target | options | exit | wall | requests received | cases | not judged |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| `{args.fault}`, {args.profile} | {options} | {code} | {wall:.1f} s | {requests} "
        f"| {counts['cases']} | {not_judged} |"
    )
    print(f"stopped: {results.get('stopped')}")


if __name__ == "__main__":
    main()
