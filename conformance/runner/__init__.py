"""The runner: drives cases through transport into checks and emits events::

    config = RunConfig(base_url="http://127.0.0.1:8787/client/v4", account_id="X", profile="smoke")
    for event in run(config):
        if isinstance(event, RunFinished):
            write_artifacts(event.result, Path("reports/now"))
"""

from __future__ import annotations

from pathlib import Path

from conformance.runner._driver import Plan, arun, plan_run, run, send_and_judge
from conformance.runner._judge import judge_case, model_not_served, untestable_from_probe
from conformance.runner._schedule import Schedule
from conformance.runner._sending import PROBE_BODY, LiveSender
from conformance.runner._stopping import STOP_AFTER, Watchdog, was_not_judged
from conformance.runner.baseline import load_baseline, load_baseline_reasons, save_baseline
from conformance.runner.config import PROFILES, RunConfig
from conformance.runner.events import Event, ItemFinished, RunFinished, RunStarted
from conformance.runner.external import judge_sent
from conformance.runner.junit import write_junit
from conformance.runner.recording import Recording, load_recording
from conformance.runner.replay import replay, replay_items
from conformance.runner.results import (
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_UNTESTABLE,
    EXIT_USAGE,
    CaseResult,
    CheckResult,
    Failure,
    RunResult,
    now,
)
from conformance.runner.results_json import results_document, write_results_json
from conformance.runner.summary import summary_markdown, write_summary


def write_artifacts(result: RunResult, folder: Path) -> list[Path]:
    """Write results.json, junit.xml and summary.md into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_results_json(result, folder / "results.json"),
        write_junit(result, folder / "junit.xml"),
        write_summary(result, folder / "summary.md"),
    ]


__all__ = [
    "EXIT_FAIL",
    "EXIT_PASS",
    "EXIT_UNTESTABLE",
    "EXIT_USAGE",
    "PROBE_BODY",
    "PROFILES",
    "STOP_AFTER",
    "CaseResult",
    "CheckResult",
    "Event",
    "Failure",
    "ItemFinished",
    "Plan",
    "Recording",
    "RunConfig",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "Schedule",
    "arun",
    "judge_case",
    "judge_sent",
    "load_baseline",
    "load_baseline_reasons",
    "load_recording",
    "model_not_served",
    "now",
    "plan_run",
    "replay",
    "replay_items",
    "results_document",
    "run",
    "save_baseline",
    "send_and_judge",
    "LiveSender",
    "Watchdog",
    "was_not_judged",
    "summary_markdown",
    "untestable_from_probe",
    "write_artifacts",
    "write_junit",
    "write_results_json",
    "write_summary",
]
