"""Starting and stopping the Locust processes of a load test, from a process that never imports Locust.

The caller (``conformance load``) may run the embedded reference server on
an asyncio loop; Locust patches sockets and threads with gevent on import.
So Locust runs in child processes only (`conformance.load.process`): one
driver (Locust's local runner, or its master) and, for ``--processes N``,
N workers on this machine. Ctrl-C reaches them all: the driver stops the
users, collects the workers' last figures and quits them; the workers it
started ignore Ctrl-C and leave when the master says so. Whatever is still
running once the driver is done is terminated::

    outcome = run_processes(settings, token, folder, Cluster(processes=2))
    outcome["figures"]["exchanges"]  # how many exchanges the users made, e.g. 1234
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.errors import TargetError, UsageError
from conformance.load.settings import DEFAULT_MASTER_PORT, MAX_PROCESSES, LoadSettings

if TYPE_CHECKING:
    from conformance.transport import Target

TOKEN_VARIABLE = "CONFORMANCE_LOAD_TOKEN"  # the same name conformance.load.user reads
STOP_GRACE_S = 30.0
"""How long the driver gets, after the run time, to collect figures and quit its workers."""

_BOOT = "import locust; from conformance.load.process import main; raise SystemExit(main())"


@dataclass(frozen=True)
class Cluster:
    """Where Locust runs: in one process, as a master (of local or remote workers), or as a worker."""

    processes: int = 0
    master: bool = False
    expect_workers: int = 0
    worker: bool = False
    master_host: str = "127.0.0.1"
    master_bind_host: str = "*"
    master_port: int = DEFAULT_MASTER_PORT

    def __post_init__(self) -> None:
        if not 0 <= self.processes <= MAX_PROCESSES:
            raise UsageError(f"--processes={self.processes!r} is not between 0 and {MAX_PROCESSES}")
        if self.worker and (self.master or self.processes):
            raise UsageError("--worker runs users for a master: it takes neither --master nor --processes")
        if self.master and self.processes:
            raise UsageError(
                "--master waits for --expect-workers started elsewhere; --processes starts its own: pass one"
            )
        if self.master and self.expect_workers < 1:
            raise UsageError(f"--master needs --expect-workers N of at least 1 (got {self.expect_workers})")
        if self.expect_workers and not self.master:
            raise UsageError("--expect-workers applies to --master only")
        if not 1 <= self.master_port <= 65535:
            raise UsageError(f"--master-port={self.master_port!r} is not a TCP port")

    @property
    def workers(self) -> int:
        return self.expect_workers if self.master else self.processes


def _command(*arguments: str) -> list[str]:
    return [sys.executable, "-c", _BOOT, *arguments]


def _environment(token: str | None) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop(TOKEN_VARIABLE, None)
    if token:
        environment[TOKEN_VARIABLE] = token
    return environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_processes(
    settings: LoadSettings, token: str | None, folder: Path, cluster: Cluster
) -> dict[str, Any]:
    """Run the load test in Locust processes; returns the driver's outcome (docs/load.md)."""
    environment = _environment(token)
    with tempfile.TemporaryDirectory(prefix="conformance-load-") as scratch:
        settings_file = Path(scratch) / "settings.json"
        outcome_file = Path(scratch) / "outcome.json"
        settings_file.write_text(json.dumps(settings.to_json()), encoding="utf-8")
        port = cluster.master_port if cluster.master else free_port()
        role = "master" if cluster.master or cluster.processes else "local"
        driver_arguments = [role, "--settings", str(settings_file), "--outcome", str(outcome_file)]
        driver_arguments += ["--csv-dir", str(folder), "--master-port", str(port)]
        if role == "master":
            driver_arguments += ["--expect-workers", str(cluster.workers)]
            bind = cluster.master_bind_host if cluster.master else "127.0.0.1"
            driver_arguments += ["--master-bind-host", bind]
        children = [subprocess.Popen(_command(*driver_arguments), env=environment)]
        for _ in range(cluster.processes):
            worker = ["worker", "--master-host", "127.0.0.1", "--master-port", str(port), "--ignore-sigint"]
            children.append(subprocess.Popen(_command(*worker), env=environment))
        limit = settings.run_time_s + STOP_GRACE_S + (60.0 if role == "master" else 0.0) + 60.0
        _wait(children, limit)
        if not outcome_file.is_file():
            codes = ", ".join(str(child.returncode) for child in children)
            raise TargetError(f"the Locust processes ended without an outcome (exit codes {codes})")
        return json.loads(outcome_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def run_worker(token: str | None, cluster: Cluster) -> int:
    """Run one Locust worker for a master elsewhere, until the master quits it; returns its exit code."""
    worker = ["worker", "--master-host", cluster.master_host, "--master-port", str(cluster.master_port)]
    child = subprocess.Popen(_command(*worker), env=_environment(token))
    try:
        return child.wait()
    except KeyboardInterrupt:
        # The child got the same Ctrl-C: it reports its last figures and leaves.
        try:
            return child.wait(timeout=STOP_GRACE_S)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            child.kill()
            return child.wait()


def _wait(children: list[subprocess.Popen[bytes]], limit_s: float) -> None:
    """Wait for the driver (the first child), then the rest; a second Ctrl-C or the limit ends them hard."""
    driver, workers = children[0], children[1:]
    deadline = time.monotonic() + limit_s
    try:
        while driver.poll() is None and time.monotonic() < deadline:
            try:
                driver.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                # Every child got this Ctrl-C too: the driver is collecting and quitting its workers.
                driver.wait(timeout=STOP_GRACE_S)
    except (KeyboardInterrupt, subprocess.TimeoutExpired):
        pass
    finally:
        _end(driver, 5.0)
        for worker in workers:
            _end(worker, 10.0)


def _end(child: subprocess.Popen[bytes], grace_s: float) -> None:
    try:
        child.wait(timeout=grace_s)
        return
    except subprocess.TimeoutExpired:
        child.terminate()
    try:
        child.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def probe(target: Target) -> str | None:
    """Why the target cannot be load tested at all (unreachable, not HTTP, token refused, model
    not served), or None: the first request `conformance run` sends, read as it reads it."""
    from conformance.load.wire import Connection
    from conformance.runner import PROBE_BODY, untestable_from_probe
    from conformance.transport import TransportSettings

    connection = Connection.for_target(target, TransportSettings(max_response_s=120.0))
    try:
        exchange = connection.send(PROBE_BODY).exchange
    finally:
        connection.close()
    return untestable_from_probe(exchange, bool(target.token), this="this test")
