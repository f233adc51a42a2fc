"""The files kept around a run's events: the baseline the caller loads and saves, the recorder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.checks import Check, RunFacts
from conformance.errors import UsageError
from conformance.generation import Case, CaseKind
from conformance.runner import (
    CaseResult,
    CheckResult,
    Event,
    Failure,
    ItemFinished,
    RunConfig,
    RunFinished,
    RunResult,
    RunStarted,
    load_baseline,
    load_recording,
    save_baseline,
)
from conformance.runner._stopping import not_judged
from conformance.runner.baseline import Baseline, baseline_for, save_updated_baseline
from conformance.runner.recording import recorded
from conformance.runner.results import BaselineReport
from conformance.transport import Exchange
from support.samples import TOKEN

URL = "http://127.0.0.1:8787/client/v4"
CASES = [Case.build(CaseKind.VALID, name, name, {"prompt": name}) for name in ("one", "two")]
FAILURE = Failure("plain", CASES[0].id, "Received: a\nExpected: b", "must")


def test_the_baseline_the_config_names_is_loaded_as_a_value(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert baseline_for(RunConfig(base_url=URL, account_id="X")) is None
    assert baseline_for(RunConfig(base_url=URL, account_id="X", baseline=path, update_baseline=True)) == (
        Baseline(str(path), frozenset(), update=True)
    )
    save_baseline(path, [FAILURE])
    loaded = baseline_for(RunConfig(base_url=URL, account_id="X", baseline=path))
    assert loaded == Baseline(str(path), frozenset({("plain", CASES[0].id)}))
    path.write_text("[]")
    with pytest.raises(UsageError, match="is not a baseline file"):
        baseline_for(RunConfig(base_url=URL, account_id="X", baseline=path))


def _result(baseline: BaselineReport | None, cases: tuple[CaseResult, ...] = ()) -> RunResult:
    plain = Check("plain", "must", "Fails.", "ours", lambda subject: None)
    check_result = CheckResult(plain, "failed", 1, (FAILURE,))
    return RunResult(
        verdict="pass",
        exit_code=0,
        reason=None,
        target={},
        profile="smoke",
        seed=1,
        strict=False,
        started_at="",
        finished_at="",
        duration_s=0.0,
        counts={},
        checks=(check_result,),
        cases=cases,
        baseline=baseline,
    )


def test_the_baseline_is_saved_only_when_the_run_rewrites_it(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    save_updated_baseline(_result(None))
    save_updated_baseline(_result(BaselineReport(str(path), (), (), updated=False)))
    assert not path.exists()
    save_updated_baseline(_result(BaselineReport(str(path), (), (), updated=True)))
    assert load_baseline(path) == {("plain", CASES[0].id)}


async def _events(config: RunConfig, stopped: str | None) -> AsyncGenerator[Event, None]:
    yield RunStarted(config, 2, config.run_seed)
    echoed = json.dumps({"echo": TOKEN}).encode()  # a target that echoes the token
    answered = Exchange("POST", URL, {}, CASES[0].body, 200, {"content-type": "application/json"}, echoed)
    first = CaseResult(CASES[0], "passed", {}, (), (answered,))
    yield ItemFinished(1, 2, first)
    cut = not_judged(CASES[1], stopped or "")
    cases = (first, cut) if stopped else (first,)
    yield RunFinished(replace(_result(None, cases), stopped=stopped))


def _read(events: AsyncGenerator[Event, None]) -> list[Event]:
    async def go() -> list[Event]:
        return [e async for e in events]

    return asyncio.run(go())


def test_the_recorder_reads_the_events_and_passes_them_on(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    config = RunConfig(base_url=URL, account_id="X", token=TOKEN, seed=5, record=capture)
    stopped = "the target stopped answering"
    plain = _read(_events(config, stopped))
    events = _read(recorded(_events(config, stopped), config, RunFacts(has_token=True)))
    assert [type(e) for e in events] == [type(e) for e in plain]
    text = capture.read_text()
    assert TOKEN not in text and json.loads(text.splitlines()[0])["seed"] == 5
    recording = load_recording(capture)
    assert [(item.id, len(exchanges)) for item, exchanges in recording.items] == [
        (CASES[0].id, 1),
        (CASES[1].id, 0),  # not judged, so that a replay does not judge it either
    ]
    assert recording.stopped == "the target stopped answering"


def test_without_record_the_events_pass_unchanged() -> None:
    config = RunConfig(base_url=URL, account_id="X", seed=5)
    events = _read(recorded(_events(config, None), config, RunFacts()))
    assert [type(e) for e in events] == [RunStarted, ItemFinished, RunFinished]
