"""The toolkit's own cost, against a fast server: our runs, `st run` and the pytest plugin, side by side.

    .venv/bin/python benchmarks/bench_speed.py [--rounds 5] [--st-examples 30]

Every command runs as a fresh process (so it pays its own imports, planning
and report writing) against the tests' conformant fake server, which answers
in about a millisecond from a process of its own (`conformant_server.py`):
what is timed is the toolkit. Each kind of command gets its own server, which
counts the requests it answered, so requests per run are counted, not
guessed. The commands run in interleaved rounds (one of each per round, after
one unmeasured warm-up round that also fills the catalogue cache), so a load
change on the machine touches all of them alike; the median of the rounds is
printed, with the range. docs/runner.md quotes the output (issue 20's goals:
full profile at most 1.5 s and at least 3x `st run`'s requests per second,
standard at most 1.0 s, ``--help`` at most 0.3 s, the plugin within 1.25x of
the CLI).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = "bench-token"
ACCOUNT = "X"


@dataclass
class Command:
    """One measured command: how to build its argv for a server URL, and what it measured."""

    label: str
    argv: list[str]
    needs_server: bool = True
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)  # added to the benchmark's environment
    walls: list[float] = field(default_factory=list)
    runs: int = 0
    requests: int = 0

    def per_run(self) -> float:
        return self.requests / self.runs if self.runs else 0.0


@contextmanager
def counting_server() -> Iterator[tuple[str, list[int]]]:
    """A conformant fake server in its own process: its URL, and (once closed) the requests it answered."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "conformant_server.py"), "--token", TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    answered: list[int] = []
    try:
        yield process.stdout.readline().strip(), answered
    finally:
        process.stdin.close()
        last = process.stdout.read().strip().splitlines()
        process.wait(timeout=30)
        answered.append(int(last[-1].split()[-1]) if last else 0)


def run_once(command: Command, url: str, env: dict[str, str]) -> float:
    argv = [part.replace("{url}", url) for part in command.argv]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=command.cwd, env=env | command.env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{command.label} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return elapsed


def commands(report_dir: Path, st_examples: int, no_cache: bool) -> list[Command]:
    conformance = str(BIN / "conformance")
    target = ["--base-url", "{url}", "--account-id", ACCOUNT, "--seed", "1"]
    found = [
        Command("`conformance --help`", [conformance, "--help"], needs_server=False),
        Command("`conformance run --help`", [conformance, "run", "--help"], needs_server=False),
        Command(
            "`conformance run --profile standard`",
            [
                conformance,
                "run",
                *target,
                "--profile",
                "standard",
                "--report-dir",
                str(report_dir / "standard"),
            ],
        ),
        Command(
            "`conformance run --profile full`",
            [conformance, "run", *target, "--profile", "full", "--report-dir", str(report_dir / "full")],
        ),
    ]
    if no_cache:
        found.append(
            Command(
                "`conformance run --profile full --no-cache`",
                [conformance, "run", *target, "--profile", "full", "--no-cache"]
                + ["--report-dir", str(report_dir / "full-cold")],
            )
        )
    found += [
        Command(
            f"`st run`, {st_examples} examples, `--checks all`",
            [str(BIN / "st"), "run", "schemas/openapi.json", "--url", "{url}"]
            + ["-H", f"Authorization: Bearer {TOKEN}", "--checks", "all"]
            + ["--max-examples", str(st_examples), "--seed", "1", "--no-color"],
        ),
    ]
    plugin = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider"]
    plugin += ["--conformance-base-url={url}", f"--conformance-account-id={ACCOUNT}"]
    plugin += ["--conformance-profile=standard", "--conformance-seed=1"]
    only_ours = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    found += [
        # pytest loads every installed plugin's entry point and rewrites the asserts of
        # each one's whole distribution (here Hypothesis's, schemathesis's and
        # LangSmith's, from the dev extra): a cost of the environment, not of ours.
        Command(
            "pytest plugin, `--conformance-profile standard`, every installed plugin loaded",
            [*plugin, f"--conformance-report-dir={report_dir / 'pytest'}"],
            cwd=report_dir,
        ),
        Command(
            "pytest plugin, `--conformance-profile standard`, only ours loaded",
            [
                *plugin,
                "-p",
                "conformance.pytest_plugin.entry",
                f"--conformance-report-dir={report_dir / 'p2'}",
            ],
            cwd=report_dir,
            env=only_ours,
        ),
        # pytest's own floor: as many trivial tests as the standard profile has items.
        Command(
            "pytest alone, 278 empty tests, only its own plugins",
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(_empty_tests(report_dir, 278)),
            ],
            needs_server=False,
            cwd=report_dir,
            env=only_ours,
        ),
    ]
    return found


def _empty_tests(folder: Path, count: int) -> Path:
    path = folder / "test_empty.py"
    path.write_text(
        f"import pytest\n\n\n@pytest.mark.parametrize('n', range({count}))\ndef test_nothing(n):\n    pass\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (after one warm-up round)")
    parser.add_argument("--st-examples", type=int, default=30, help="st run's --max-examples")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE from the environment (by default it is dropped: "
        "a user's Python writes .pyc files, so each command reads its modules compiled)",
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    if not args.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env |= {"CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_ACCOUNT_ID": ACCOUNT}
    help_text = subprocess.run(
        [str(BIN / "conformance"), "run", "--help"], capture_output=True, text=True
    ).stdout
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        measured = commands(Path(folder), args.st_examples, "--no-cache" in help_text)
        servers = [stack.enter_context(counting_server()) if c.needs_server else None for c in measured]
        for round_ in range(args.rounds + 1):
            for command, server in zip(measured, servers, strict=True):
                wall = run_once(command, server[0] if server else "", env)
                command.runs += 1
                if round_ > 0:  # the first round warms the OS caches, the bytecode and the catalogue cache
                    command.walls.append(wall)
        stack.close()  # the servers report what they answered
        for command, server in zip(measured, servers, strict=True):
            command.requests = server[1][0] if server else 0
    load_after = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    bytecode = "off (PYTHONDONTWRITEBYTECODE)" if "PYTHONDONTWRITEBYTECODE" in env else "on"
    print(f"bytecode caching {bytecode}; median of {args.rounds} interleaved rounds after a warm-up round")
    print("(range in brackets)\n")
    print("| command | requests per run | wall | requests/s |")
    print("| --- | ---: | ---: | ---: |")
    rates: dict[str, float] = {}
    for command in measured:
        wall = statistics.median(command.walls)
        per_run = command.per_run()
        rate = per_run / wall if per_run else 0.0
        rates[command.label] = rate
        shown_rate = f"{rate:.0f}" if per_run else "-"
        shown_requests = f"{per_run:.0f}" if per_run else "-"
        print(
            f"| {command.label} | {shown_requests} | {wall:.2f} s "
            f"({min(command.walls):.2f}-{max(command.walls):.2f}) | {shown_rate} |"
        )
    by_label = {c.label: c for c in measured}
    full, standard = (
        by_label["`conformance run --profile full`"],
        by_label["`conformance run --profile standard`"],
    )
    st = next(c for c in measured if c.label.startswith("`st run`"))
    print(f"\nfull profile vs st run, requests judged per second: {rates[full.label] / rates[st.label]:.1f}x")
    floor = statistics.median(next(c for c in measured if c.label.startswith("pytest alone")).walls)
    cli = statistics.median(standard.walls)
    for plugin in (c for c in measured if c.label.startswith("pytest plugin")):
        wall = statistics.median(plugin.walls)
        print(f"{plugin.label.split(', ')[-1]}: pytest plugin vs CLI, standard profile wall: {wall / cli:.2f}x")
    # What the plugin costs beyond pytest's own start and per-item work, against the CLI:
    # the toolkit's share of the plugin's wall (pytest's floor is the same for any plugin).
    ours = statistics.median(next(c for c in measured if c.label.endswith("only ours loaded")).walls)
    print(f"only ours loaded, less pytest alone: {(ours - floor) / cli:.2f}x the CLI's wall")


if __name__ == "__main__":
    main()
