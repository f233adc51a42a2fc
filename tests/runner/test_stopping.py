"""A target that stops answering stops the run: the watchdog, and runs against hung and stalling servers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import Route
from conformance.runner import (
    STOP_AFTER,
    RunConfig,
    RunFinished,
    RunResult,
    Watchdog,
    replay,
    run,
    was_not_judged,
)
from conformance.runner._stopping import NOT_JUDGED, TargetStopped
from conformance.transport import Auth, Exchange, TransportSettings
from support.fake_server import ANSWERED_BEFORE_STOPPING, fake_server
from support.samples import TOKEN

# Short waits: a hung target costs one read timeout before the run stops.
QUICK = TransportSettings(read_timeout_s=2, idle_timeout_s=1, connect_timeout_s=2)


class _Scripted:
    """Answers each request with the next scripted exchange; ``None`` hangs until cancelled."""

    def __init__(self, script: list[Exchange | None]) -> None:
        self.script = script
        self.sent = 0
        self.cancelled = 0

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        answer = self.script[self.sent]
        self.sent += 1
        if answer is None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        assert answer is not None
        await asyncio.sleep(0)
        return answer


ANSWERED = Exchange("POST", "u", {}, {}, status=200)
SILENT = Exchange("POST", "u", {}, {}, error="ReadTimeout: timed out", unanswered="read")


def _send_all(watchdog: Watchdog, count: int, then: int = 0) -> list[Exchange | str]:
    """Send ``count`` requests at once, then ``then`` more once those are over."""

    async def one(i: int) -> Exchange | str:
        try:
            return await watchdog.send(f"c{i}", 0, {}, "token")
        except TargetStopped as stop:
            return stop.reason

    async def all_of() -> list[Exchange | str]:
        first = list(await asyncio.gather(*(one(i) for i in range(count))))
        return first + [await one(count + i) for i in range(then)]

    return asyncio.run(all_of())


def test_any_answer_resets_the_count_of_silent_requests() -> None:
    script: list[Exchange | None] = [SILENT, SILENT, ANSWERED, SILENT, SILENT, ANSWERED]
    watchdog = Watchdog(_Scripted(script))
    assert all(isinstance(r, Exchange) for r in _send_all(watchdog, len(script)))
    assert watchdog.stopped is None


def test_the_third_silent_request_in_a_row_stops_the_sending_and_cuts_those_in_flight() -> None:
    sender = _Scripted([None, SILENT, SILENT, SILENT, ANSWERED])
    watchdog = Watchdog(sender)
    outcomes = _send_all(watchdog, 4, then=1)
    assert STOP_AFTER == 3 and watchdog.stopped is not None
    assert watchdog.stopped.startswith(
        "the target stopped answering: 3 requests in a row got no answer in time "
        "(the last: no byte within the read timeout: ReadTimeout: timed out)"
    )
    assert "raise --timeout, or --idle-timeout for streams" in watchdog.stopped
    # The hung one was cut off; the one after the third silence was never sent.
    assert sender.cancelled == 1 and sender.sent == 4
    assert outcomes[0] == watchdog.stopped and outcomes[4] == watchdog.stopped
    assert all(isinstance(r, Exchange) for r in outcomes[1:4])


def _run(faults: set[str], **config: Any) -> tuple[RunResult, int]:
    """The run's result, and how many requests the server received."""
    stats: dict[str, int] = {}
    with fake_server(faults, token=TOKEN, stats=stats) as url:
        settings = RunConfig(base_url=url, account_id="X", token=TOKEN, seed=11, transport=QUICK, **config)
        final = list(run(settings))[-1]
    assert isinstance(final, RunFinished)
    return final.result, stats["requests"]


def test_a_target_that_stops_answering_stops_the_run_with_the_rest_not_judged(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    result, requests = _run({"stop_answering"}, profile="standard", record=capture)
    assert result.exit_code == 1 and result.verdict == "fail" and result.reason is None
    assert result.stopped is not None and result.stopped.startswith("the target stopped answering")
    cut = [r for r in result.cases if was_not_judged(r)]
    assert len(cut) > len(result.cases) / 2  # the standard profile has about 280 items
    assert all(r.outcome == "error" and r.error and r.error.startswith(NOT_JUDGED) for r in cut)
    # Sending stopped: the answered requests, the ones in flight when the target hung, and one
    # more for each silent one before the third (its slot went to the next request).
    assert requests <= ANSWERED_BEFORE_STOPPING + 4 + STOP_AFTER - 1
    # A replay of the recording fails for the same reason, without the network.
    replayed = list(replay(capture))[-1]
    assert isinstance(replayed, RunFinished)
    assert replayed.result.stopped == result.stopped and replayed.result.exit_code == 1
    assert json.loads(capture.read_text().splitlines()[-1]) == {"stopped": result.stopped}


def test_a_conformant_target_never_stops_the_run() -> None:
    result, _ = _run(set(), profile="smoke")
    assert result.stopped is None and result.exit_code == 0


def test_a_stream_that_stalls_midway_fails_stream_framing_as_stalled() -> None:
    result, _ = _run({"stall_streams_midway"}, profile="smoke", checks=("stream_framing_conformance",))
    messages = [f.message for f in result.failures if f.check_id == "stream_framing_conformance"]
    assert messages and all("stalled after 2 events: no bytes for 1 s" in m for m in messages), messages
    stalled = [r for r in result.cases if r.exchanges and r.exchanges[-1].unanswered == "idle"]
    assert stalled and all(r.outcome == "failed" for r in stalled)


@pytest.mark.parametrize("concurrency", [1, 8])
def test_the_stop_does_not_depend_on_the_concurrency(concurrency: int) -> None:
    result, requests = _run({"stop_answering"}, profile="smoke", concurrency=concurrency)
    assert result.stopped is not None and result.exit_code == 1
    assert requests <= ANSWERED_BEFORE_STOPPING + concurrency + STOP_AFTER - 1


def test_a_recording_keeps_which_wait_ran_out_and_the_answers_retried() -> None:
    from conformance.runner.recording import exchange_from_json, exchange_to_json

    refusal = Exchange("POST", "u", {}, {}, status=429, headers={"retry-after": "0"}, body=b"{}")
    exchange = Exchange("POST", "u", {}, {}, status=200, retries=1, retry_waits=(0.0,), retried=(refusal,))
    assert exchange_from_json(json.loads(json.dumps(exchange_to_json(exchange)))) == exchange
    assert exchange_from_json(exchange_to_json(SILENT)) == SILENT
