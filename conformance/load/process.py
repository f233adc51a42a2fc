"""One Locust process of a load test: the local runner, the master, or a worker, on Locust's own runners.

Started by `conformance.load.engine` as ``python -c "import locust; ..."``
so that Locust patches the standard library with gevent before anything
else is imported; never in a process that runs an asyncio loop (the
embedded reference server stays in the parent). Workers and master talk
only through Locust: workers send their figures with Locust's stats reports
(``report_to_master``); at the end the master asks each worker, with a
custom message, to report once more and say how many exchanges it judged.

The local runner and the master write the outcome (figures, Locust's
statistics, the workers' totals) as JSON to the file the parent named, and
Locust's CSV files beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import locust
from locust import argument_parser
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from conformance.load.figures import Figures
from conformance.load.settings import LoadSettings
from conformance.load.user import ConformanceUser, configure

FLUSH = "conformance_flush"
FLUSHED = "conformance_flushed"
WORKER_WAIT_S = 60.0
FLUSH_WAIT_S = 15.0


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.role == "worker":
        return _worker(arguments)
    return _driver(arguments)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance.load.process")
    parser.add_argument("role", choices=("local", "master", "worker"))
    parser.add_argument("--settings", type=Path, help="the settings as JSON (local, master)")
    parser.add_argument("--outcome", type=Path, help="where the outcome goes (local, master)")
    parser.add_argument("--csv-dir", type=Path, help="where Locust's CSV files go (local, master)")
    parser.add_argument("--expect-workers", type=int, default=0)
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-bind-host", default="*")
    parser.add_argument("--master-port", type=int, default=5557)
    parser.add_argument("--ignore-sigint", action="store_true", help="a local worker: the master stops it")
    return parser


def _options(settings: dict[str, Any] | None) -> Any:
    """Locust's own parsed options with ours added: a master sends them to every worker with each spawn."""
    parser = argument_parser.get_empty_argument_parser()
    argument_parser.setup_parser_arguments(parser)
    options = parser.parse(args=[])
    options.conformance_load = settings
    return options


class _Stop:
    """Set by the run time, Ctrl-C or SIGTERM: the driver then collects and quits."""

    def __init__(self) -> None:
        self.event = gevent.event.Event()
        self.interrupted = False

    def interrupt(self) -> None:
        self.interrupted = True
        self.event.set()


def _driver(arguments: argparse.Namespace) -> int:
    raw = json.loads(arguments.settings.read_text(encoding="utf-8"))
    settings = LoadSettings.from_json(raw)
    environment = Environment(
        user_classes=[ConformanceUser], host=settings.base_url, stop_timeout=0.0, parsed_options=_options(raw)
    )
    figures = Figures()
    stop = _Stop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop.interrupt)
    totals: dict[str, int] = {}
    note: str | None = None
    runner: Runner
    if arguments.role == "master":
        runner = environment.create_master_runner(arguments.master_bind_host, arguments.master_port)
        _gather_on_master(environment, figures, totals)
        note = _await_workers(runner, arguments.expect_workers, stop)
    else:
        runner = environment.create_local_runner()
        configure(settings, figures, index=0, worker="local")
    started_wall, started = time.time(), time.perf_counter()
    if note is None and not stop.interrupted:
        gevent.spawn(runner.start, settings.users, settings.spawn_rate)
        stop.event.wait(settings.run_time_s)
    duration = time.perf_counter() - started
    if isinstance(runner, MasterRunner):
        runner.stop()
        _flush_workers(runner, totals)
    else:
        runner.stop()
        totals["local"] = figures.exchanges
    outcome = {
        "figures": figures.to_json(),
        "workers": totals,
        "started_wall": started_wall,
        "duration_s": round(duration, 3),
        "interrupted": stop.interrupted,
        "note": note,
        "locust": _locust_summary(environment),
    }
    if arguments.csv_dir is not None:
        _write_csv(environment, arguments.csv_dir)
    arguments.outcome.write_text(json.dumps(outcome), encoding="utf-8")
    runner.quit()
    return 0


def _gather_on_master(environment: Environment, figures: Figures, totals: dict[str, int]) -> None:
    def on_worker_report(client_id: str, data: dict[str, Any]) -> None:
        delta = data.get("conformance")
        if delta:
            figures.merge(delta)

    def on_flushed(environment: Environment, msg: Any, **kwargs: Any) -> None:
        totals[str(msg.node_id)] = int(msg.data["exchanges"])

    environment.events.worker_report.add_listener(on_worker_report)
    assert environment.runner is not None
    environment.runner.register_message(FLUSHED, on_flushed)


def _await_workers(runner: Runner, expected: int, stop: _Stop) -> str | None:
    assert isinstance(runner, MasterRunner)
    deadline = time.monotonic() + WORKER_WAIT_S
    while len(runner.clients.ready) < expected:
        if stop.interrupted:
            return "interrupted while waiting for workers"
        if time.monotonic() > deadline:
            return (
                f"only {len(runner.clients.ready)} of {expected} workers connected within {WORKER_WAIT_S:g} s"
            )
        gevent.sleep(0.1)
    return None


def _flush_workers(runner: MasterRunner, totals: dict[str, int]) -> None:
    """Ask every worker that ever connected to report its last figures and its total; wait for all."""
    known = list(runner.worker_indexes)
    for client_id in known:
        runner.send_message(FLUSH, {}, client_id=client_id)
    deadline = time.monotonic() + FLUSH_WAIT_S
    while any(client_id not in totals for client_id in known) and time.monotonic() < deadline:
        gevent.sleep(0.05)


def _locust_summary(environment: Environment) -> dict[str, Any]:
    """Locust's own statistics per (type, name): requests, failures, and response-time percentiles."""
    rows = []
    for (name, request_type), entry in sorted(environment.stats.entries.items()):
        rows.append(
            {
                "type": request_type,
                "name": name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "median_ms": entry.median_response_time,
                "p95_ms": entry.get_response_time_percentile(0.95),
                "max_ms": entry.max_response_time,
            }
        )
    return {"version": locust.__version__, "stats": rows}


def _write_csv(environment: Environment, folder: Path) -> None:
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(folder / "locust_stats.csv", "w", newline="", encoding="utf-8") as out:
        writer.requests_csv(csv.writer(out))
    with open(folder / "locust_failures.csv", "w", newline="", encoding="utf-8") as out:
        writer.failures_csv(csv.writer(out))


def _worker(arguments: argparse.Namespace) -> int:
    if arguments.ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the master stops a worker it started
    environment = Environment(user_classes=[ConformanceUser], stop_timeout=0.0, parsed_options=_options(None))
    figures = Figures()
    runner = environment.create_worker_runner(arguments.master_host, arguments.master_port)
    assert isinstance(runner, WorkerRunner)
    judged = {"exchanges": 0}

    def on_test_start(environment: Environment, **kwargs: Any) -> None:
        raw = getattr(environment.parsed_options, "conformance_load", None)
        if not raw:
            raise RuntimeError("the master sent no conformance settings: is it a `conformance load` master?")
        configure(
            LoadSettings.from_json(raw), figures, index=max(runner.worker_index, 0), worker=runner.client_id
        )

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        judged["exchanges"] += figures.exchanges
        data["conformance"] = figures.take()

    def on_flush(environment: Environment, msg: Any, **kwargs: Any) -> None:
        # Locust's own stats report carries the last figures (report_to_master above); the
        # answer follows it on the same connection, so the master has both when it reads it.
        runner._send_stats()
        runner.send_message(FLUSHED, {"exchanges": judged["exchanges"]})

    environment.events.test_start.add_listener(on_test_start)
    environment.events.report_to_master.add_listener(on_report)
    runner.register_message(FLUSH, on_flush)
    try:
        runner.greenlet.join()
    except KeyboardInterrupt:
        # Ctrl-C on a worker the user started: report what it judged, tell the master, stop.
        runner._send_stats()
        environment.events.quitting.fire(environment=environment, reverse=True)
        runner.quit()
    return 0


if __name__ == "__main__":  # pragma: no cover - started by conformance.load.engine
    sys.exit(main())
