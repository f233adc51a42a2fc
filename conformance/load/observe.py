"""One exchange into the figures: its counts, times, tokens and check outcomes, and its Locust events.

`Observer.observe` updates the process's `Figures` and returns the request
events to fire, so Locust's statistics, web UI and CSV show each check as
its own row (``check``, named by the check's id, failed when the check
failed) beside the exchanges by mix class (``POST``), the time to first
event of streams (``ttfe``) and the documented refusals (``refusal``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from conformance.generation import Case
from conformance.load.figures import Figures
from conformance.load.judging import Judged
from conformance.load.wire import Sent
from conformance.runner.recording import exchange_to_json
from conformance.transport import Exchange

KEPT_BODY_BYTES = 64 * 1024
KEPT_EVENT_ENDS = 50


class CheckFailed(Exception):
    """A check's failure as Locust shows it: the first line of the message."""


class NoResponse(Exception):
    """An exchange that got no HTTP response at all."""


@dataclass(frozen=True)
class RequestEvent:
    """The arguments of one ``events.request.fire`` call."""

    request_type: str
    name: str
    response_time: float
    response_length: int = 0
    exception: Exception | None = None


class Observer:
    """Records what one process judges into its figures; ``worker`` names the process."""

    def __init__(self, figures: Figures, *, interval_s: float, worker: str) -> None:
        self.figures = figures
        self.interval_s = interval_s
        self.worker = worker

    def observe(self, mix_class: str, case: Case, sent: Sent, judged: Judged) -> list[RequestEvent]:
        f = self.figures
        exchange = sent.exchange
        point = f.point(int(time.time() // self.interval_s))
        f.exchanges += 1
        f.workers[self.worker] += 1
        f.by_class[mix_class] += 1
        f.statuses["none" if exchange.status is None else str(exchange.status)] += 1
        point["requests"] += 1
        total_ms = exchange.timing.total_s * 1000
        f.histograms["total_ms"].add(total_ms)
        size = exchange.stream.bytes if exchange.stream is not None else len(exchange.body)
        events = [
            RequestEvent(
                "POST",
                mix_class,
                total_ms,
                size,
                None if judged.error is None else NoResponse(judged.error),
            )
        ]
        if judged.error is not None:
            f.note_error(judged.error)
            point["errors"] += 1
            return events
        if exchange.timing.ttfe_s is not None:
            ttfe_ms = exchange.timing.ttfe_s * 1000
            f.histograms["ttfe_ms"].add(ttfe_ms)
            point["ttfe_ms"].add(ttfe_ms)
            events.append(RequestEvent("ttfe", mix_class, ttfe_ms))
        for gap in sent.gaps:
            f.histograms["gap_ms"].add(gap * 1000)
        if judged.tokens:
            f.tokens += judged.tokens
            point["tokens"] += judged.tokens
            if exchange.stream is not None and exchange.timing.total_s > 0:
                f.histograms["stream_tokens_per_s"].add(judged.tokens / exchange.timing.total_s)
        if judged.refusal is not None:
            f.refusals["count"] += 1
            f.refusals[f"code {judged.refusal.code}"] += 1
            point["refusals"] += 1
            if judged.refusal.retry_after_s is None:
                f.refusals["without_retry_after"] += 1
            else:
                f.retry_after_s.add(judged.refusal.retry_after_s)
            wait_ms = (judged.refusal.retry_after_s or 0.0) * 1000
            events.append(RequestEvent("refusal", f"429 {judged.refusal.code}", wait_ms))
        if judged.failed:
            f.failing += 1
        for check_id in judged.sampled_out:
            f.checks.setdefault(check_id, Counter())["sampled_out"] += 1
        failures = {failure.check_id: failure for failure in judged.failures}
        for check_id, status in judged.statuses.items():
            f.checks.setdefault(check_id, Counter())[status] += 1
            seconds = judged.seconds.get(check_id, 0.0)
            f.judge_s[check_id] = f.judge_s.get(check_id, 0.0) + seconds
            failure = failures.get(check_id)
            problem = None
            if status in ("failed", "error") and failure is not None:
                point["failures"][check_id] += 1
                problem = CheckFailed(failure.message.split("\n", 1)[0])
                if f.wants(check_id):
                    f.keep(check_id, kept_failure(case, exchange, failure.message, status))
            if status != "skipped":
                events.append(RequestEvent("check", check_id, seconds * 1000, 0, problem))
        return events


def kept_failure(case: Case, exchange: Exchange, message: str, status: str) -> dict[str, Any]:
    """A failing exchange as JSON, small enough to travel: the case by id, bodies and transcripts cut."""
    trimmed = replace(exchange, request_body=None, body=exchange.body[:KEPT_BODY_BYTES])
    if exchange.stream is not None and len(exchange.stream.events) > 2 * KEPT_EVENT_ENDS:
        events = exchange.stream.events
        kept = events[:KEPT_EVENT_ENDS] + events[-KEPT_EVENT_ENDS:]
        trimmed = replace(trimmed, stream=replace(exchange.stream, events=kept))
    return {
        "case_id": case.id,
        "message": message,
        "status": status,
        "exchange": exchange_to_json(trimmed),
        "stream_events": None if exchange.stream is None else len(exchange.stream.events),
        "at": time.time(),
    }
