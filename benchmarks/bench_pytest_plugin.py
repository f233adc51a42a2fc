"""Measures the pytest plugin: what it costs a pytest run that does not use it, and the suite's wall time.

    .venv/bin/python benchmarks/bench_pytest_plugin.py import-cost [--repeat 10]
    .venv/bin/python benchmarks/bench_pytest_plugin.py wall-time [--profile standard] [--seed 1] [--repeat 2]

``import-cost`` times ``pytest --version`` and a run of an unrelated one-test
file, each with the plugin (the installed entry point) and without it
(``-p no:conformance``, as if the package were not installed); medians.
``wall-time`` serves the reference server (tiny model) once with
``conformance serve``, then times ``conformance run`` and ``pytest --pyargs
conformance.suite`` against it with the same profile and seed, each as a
fresh process, so both pay their own imports and planning. Prints Markdown
tables; docs/pytest.md quotes them.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
TOKEN = "bench-token"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command)} exited {completed.returncode}:\n{completed.stdout}{completed.stderr}"
        )
    return elapsed


def import_cost(repeat: int) -> None:
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        (cwd / "test_unrelated.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        rows = []
        for label, args in (("pytest --version", ["--version"]), ("pytest test_unrelated.py", ["-q"])):
            with_plugin = [timed([*pytest, *args], cwd) for _ in range(repeat)]
            without = [timed([*pytest, "-p", "no:conformance", *args], cwd) for _ in range(repeat)]
            rows.append((label, statistics.median(with_plugin), statistics.median(without)))
    print(f"| command (median of {repeat}) | with the plugin | without (`-p no:conformance`) |")
    print("| --- | --- | --- |")
    for label, with_s, without_s in rows:
        print(f"| `{label}` | {with_s:.3f} s | {without_s:.3f} s |")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def reference_server() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "conformance"), "serve", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("conformance serve did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/client/v4"
    finally:
        server.terminate()
        server.wait(timeout=30)


def wall_time(profile: str, seed: int, repeat: int) -> None:
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    with reference_server() as url, tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        cli = [str(BIN / "conformance"), "run", "--base-url", url, "--account-id", "X"]
        cli += ["--profile", profile, "--seed", str(seed), "--report-dir", "cli"]
        suite = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suite",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        suite += [f"--conformance-base-url={url}", "--conformance-account-id=X"]
        suite += [
            f"--conformance-profile={profile}",
            f"--conformance-seed={seed}",
            "--conformance-report-dir=py",
        ]
        timed(cli, cwd, env)  # warm the server's model and the OS caches once
        runs = [timed(cli, cwd, env) for _ in range(repeat)]
        items = [timed(suite, cwd, env) for _ in range(repeat)]
    run_s, pytest_s = statistics.median(runs), statistics.median(items)
    print(f"| {profile} profile, seed {seed} (median of {repeat}) | wall time |")
    print("| --- | --- |")
    print(f"| `conformance run` | {run_s:.2f} s |")
    print(f"| `pytest --pyargs conformance.suite` | {pytest_s:.2f} s ({pytest_s / run_s:.2f}x) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cost = commands.add_parser("import-cost")
    cost.add_argument("--repeat", type=int, default=10)
    wall = commands.add_parser("wall-time")
    wall.add_argument("--profile", default="standard")
    wall.add_argument("--seed", type=int, default=1)
    wall.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.command == "import-cost":
        import_cost(args.repeat)
    else:
        wall_time(args.profile, args.seed, args.repeat)


if __name__ == "__main__":
    main()
