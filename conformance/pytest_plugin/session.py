"""The plugin's state for one pytest process: the target, the plan, the requests in flight, the reports.

Items do not send one request at a time. On the first item the plugin sends
the probe, then every selected item at once (``--conformance-concurrency`` in
flight, as ``conformance run`` does); each item waits for its own verdict.
Every item passes through one `Schedule`, as in a run, so an exclusive
scenario is sent with nothing else of this process in flight.
Under pytest-xdist a worker sends the items queued for it, and hands what it
received to the controller, which judges everything as one run and writes
one set of reports. Without xdist the same judging writes the same files as
``conformance run`` for the same seed and profile.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import Check, RunFacts, Scenario
from conformance.contract import DEFAULT_SCHEMA_VERSION
from conformance.pytest_plugin import _xdist
from conformance.pytest_plugin.items import Subject, SuiteItem
from conformance.pytest_plugin.settings import Settings, resolve
from conformance.pytest_plugin.target import close_client, open_client
from conformance.pytest_plugin.verdicts import ConformanceFailure, raise_for
from conformance.report import write_html_beside
from conformance.runner import (
    PROBE_BODY,
    CaseResult,
    LiveSender,
    Plan,
    RunConfig,
    RunFinished,
    RunResult,
    Schedule,
    Watchdog,
    load_baseline_reasons,
    now,
    plan_run,
    replay_items,
    send_and_judge,
    untestable_from_probe,
    was_not_judged,
    write_artifacts,
)
from conformance.runner.recording import exchange_from_json, exchange_to_json
from conformance.runner.redaction import redact_secrets
from conformance.runner.results import redact_case_result
from conformance.transport import Exchange, Target


class _Sending:
    """The requests of this process: the probe's answer and a future verdict per submitted item."""

    def __init__(self, config: RunConfig, target: Target) -> None:
        self.config = config
        self.checks = config.selected_checks()
        self.facts = RunFacts(has_token=config.token is not None, schema=config.schema)
        self.thread, self.client = open_client(target, config.transport_settings())
        self.probe: Exchange = self.thread.call(self.client.send(PROBE_BODY))
        # What the runner makes of the probe's answer: None, or why the target cannot be tested,
        # redacted as a run's reason is (the answer may echo the token).
        reason = untestable_from_probe(self.probe, config.token is not None)
        secrets = (config.token,) if config.token else ()
        self.untestable = None if reason is None else redact_secrets(reason, secrets)
        self.verdicts: dict[str, Future[CaseResult]] = {}
        self.schedule = Schedule()
        # One for the session: a target that stops answering stops the sending, as in `conformance run`.
        self.sender = Watchdog(LiveSender(self.client))

    def submit(self, subjects: list[Subject]) -> None:
        for subject in subjects:
            if subject.id not in self.verdicts:
                coroutine = send_and_judge(subject, self.checks, self.sender, self.facts, self.schedule)
                self.verdicts[subject.id] = self.thread.submit(coroutine)

    def close(self) -> None:
        for future in self.verdicts.values():
            future.cancel()  # what -x or a Ctrl-C left unsent
        close_client(self.thread, self.client)


class ConformancePlugin:
    """Registered as ``conformance-session`` once the plugin is in use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings: Settings = resolve(config)
        self.shared = _xdist.from_controller(config)
        seed = self.settings.seed
        self.seed: int = (
            self.shared["seed"] if self.shared else seed if seed is not None else secrets.randbelow(2**31)
        )
        self.baseline = load_baseline_reasons(self.settings.baseline) if self.settings.baseline else {}
        self._stack = ExitStack()
        self._server: Target | None = None
        self._plan: Plan | None = None
        self._sending: _Sending | None = None
        self._next: pytest.Item | None = None
        self._submitted_all = False
        self._checks: list[Check] | None = None
        self._ran: dict[str, CaseResult] = {}
        self._started_at, self._started = "", 0.0
        self._worker_outputs: list[dict[str, Any]] = []
        self.result: RunResult | None = None
        self.written: list[Path] = []

    # The target and the plan

    def embedded_server(self) -> Target:
        """The embedded reference server, started on first use (by xdist's controller for every worker)."""
        if self._server is None:
            named = self.settings.target
            if named is None or not named.embedded:
                named = Target.embedded_server()  # the conformance_server fixture beside another target
            if self.shared and self.shared.get("token"):
                self._server = named.served_at(self.shared["base_url"], self.shared["token"])
            else:
                # Imported lazily: the server pulls in Starlette, uvicorn and a model engine.
                from conformance.server.embedded import serving_target

                self._server = self._stack.enter_context(serving_target(named, self.settings.schema_version))
        return self._server

    def target(self) -> Target:
        """The target the options name, the embedded server started when it is the one."""
        named = self.settings.require_target()
        return self.embedded_server() if named.embedded else named

    def require_target(self) -> None:
        """Raise the usage error that says how to name a target, when the options name none."""
        self.settings.require_target()

    def plan(self) -> Plan:
        """The session's plan, made without starting anything: collection needs no server."""
        if self._plan is None:
            named = self.settings.require_target()
            if named.embedded:  # a plan only asks whether there is a token
                named = named.served_at(named.base_url, "planning")
            self._plan = plan_run(self.settings.run_config(named, seed=self.seed))
        return self._plan

    def severities_of(self, subject: Subject) -> list[str]:
        if self._checks is None:  # the same for every item: the options select them
            config = self.settings.run_config(Target.embedded_server(), seed=self.seed)
            self._checks = config.selected_checks()
        checks = self._checks
        if isinstance(subject, Scenario):
            return sorted({c.severity for c in checks if c.id == subject.check})
        return sorted({c.severity for c in checks if not c.is_scenario})

    def _run_config(self) -> RunConfig:
        return self.settings.run_config(self.target(), seed=self.seed)

    # Sending and judging

    def judge(self, item: SuiteItem) -> None:
        sending = self._start()
        if sending.untestable is not None:
            raise ConformanceFailure(f"the target could not be tested: {sending.untestable}")
        sending.submit([item.subject, *self._queued_after(item)])
        result = sending.verdicts[item.subject.id].result()
        self._ran[item.subject.id] = result
        # The item's message may quote what the target sent, an echoed token included.
        secrets = (sending.config.token,) if sending.config.token else ()
        raise_for(redact_case_result(result, secrets), strict=self.settings.strict, baseline=self.baseline)

    def _start(self) -> _Sending:
        if self._sending is None:
            self._started_at, self._started = now(), time.perf_counter()
            self._sending = _Sending(self._run_config(), self.target())
        return self._sending

    def _queued_after(self, item: SuiteItem) -> list[Subject]:
        """The suite items this process will run, as far as it can know them now."""
        items = item.session.items
        indices = _xdist.queued(self.config)
        if indices is None:  # every item is this process's, and known from the first one on
            if self._submitted_all:
                return []
            self._submitted_all = True
            return [i.subject for i in items if isinstance(i, SuiteItem)]
        # An xdist worker learns its items a few at a time; send those queued for it now.
        queued: list[Subject] = []
        if isinstance(self._next, SuiteItem):
            queued.append(self._next.subject)
        for index in indices:
            queued_item = items[index]
            if isinstance(queued_item, SuiteItem):
                queued.append(queued_item.subject)
        return queued

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        self._next = nextitem

    # Reports

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        s = self.settings
        where = "no target" if s.target is None else s.target.base_url
        if s.embedded:
            where = "the embedded reference server"
        return [
            f"conformance: {s.profile} profile against {where}, seed {self.seed} "
            f"(rerun with --conformance-seed {self.seed})"
            + ("" if s.schema_version == DEFAULT_SCHEMA_VERSION else f", schema version {s.schema_version}")
        ]

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist's controller, per worker: the seed (and the embedded server) every worker shares."""
        shared: dict[str, Any] = {"seed": self.seed}
        if self.settings.embedded:
            server = self.embedded_server()
            shared.update(base_url=server.base_url, token=server.token)
        _xdist.to_worker(node, shared)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = _xdist.from_worker(node)
        if output:
            self._worker_outputs.append(output)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            sending.close()
        exchanges = {item_id: list(r.exchanges) for item_id, r in self._ran.items() if not was_not_judged(r)}
        cut = any(was_not_judged(r) for r in self._ran.values())
        stopped = sending.sender.stopped if sending is not None and cut else None
        if _xdist.is_worker(self.config):
            if sending is not None:
                _xdist.to_controller(
                    self.config,
                    {
                        "started_at": self._started_at,
                        "duration_s": time.perf_counter() - self._started,
                        "stopped": stopped,
                        "probe": exchange_to_json(sending.probe),
                        "items": {k: [exchange_to_json(e) for e in v] for k, v in exchanges.items()},
                    },
                )
            return
        if self._worker_outputs:
            self._merge_workers()
        elif sending is not None:
            # The items' own verdicts are the run's: judged once, with the run's checks and facts.
            judged = {item_id: self._ran[item_id] for item_id in exchanges}
            result = _run_of(sending.config, self.plan(), exchanges, sending.probe, stopped, judged)
            self._finish(result, self._started_at, time.perf_counter() - self._started)

    def _merge_workers(self) -> None:
        outputs = sorted(self._worker_outputs, key=lambda o: str(o["started_at"]))
        exchanges = {
            item_id: [exchange_from_json(e) for e in item_exchanges]
            for output in outputs
            for item_id, item_exchanges in output["items"].items()
        }
        probe = exchange_from_json(outputs[0]["probe"])
        stopped = next((o["stopped"] for o in outputs if o.get("stopped")), None)
        result = _run_of(self._run_config(), self.plan(), exchanges, probe, stopped)
        self._finish(result, outputs[0]["started_at"], max(float(o["duration_s"]) for o in outputs))

    def _finish(self, result: RunResult, started_at: str, duration_s: float) -> None:
        self.result = replace(
            result, started_at=started_at, finished_at=now(), duration_s=round(duration_s, 3)
        )
        folder = self.settings.report_dir
        if folder is not None:
            self.written = [*write_artifacts(self.result, folder), write_html_beside(folder / "results.json")]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is None:
            return
        counts = self.result.counts
        line = (
            f"conformance: verdict {self.result.verdict}, {counts['cases']} cases and scenarios, "
            f"{counts['requests']} requests, {counts['new_failures']} new failures"
        )
        if self.result.reason:
            line += f"; {self.result.reason}"
        if self.result.stopped:
            line += f"; stopped: {self.result.stopped}"
        terminalreporter.write_line(line)
        if self.written:
            terminalreporter.write_line(f"conformance: reports in {self.written[0].parent}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._stack.close()


def _run_of(
    config: RunConfig,
    plan: Plan,
    exchanges: dict[str, list[Exchange]],
    probe: Exchange,
    stopped: str | None = None,
    judged: Mapping[str, CaseResult] | None = None,
) -> RunResult:
    """What the runner makes of these exchanges, judged as one run of ``plan`` (``judged``: already)."""
    for event in replay_items(config, plan, exchanges, probe=probe, stopped=stopped, judged=judged):
        if isinstance(event, RunFinished):
            return event.result
    raise AssertionError("the runner ended without a result")
