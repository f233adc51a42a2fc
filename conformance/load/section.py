"""A load test's outcome as the run result every writer reads, with its ``load`` section.

The ``load`` section is documented in docs/results-format.md.

The checks carry their counts over every exchange they judged; the cases
are the failing exchanges kept (the first few per check, each with the
request that produced it, so the HTML report shows its curl line); the
``load`` section holds the figures, the gates and the charts' series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from conformance.checks import Check
from conformance.contract import schema_version
from conformance.generation import Case
from conformance.load.figures import Figures
from conformance.load.gates import Gate, evaluate, failed_count, judged_count
from conformance.load.judging import SAMPLED
from conformance.load.mix import Pools
from conformance.load.settings import LoadSettings
from conformance.runner import CaseResult, CheckResult, Failure, RunResult
from conformance.runner.recording import exchange_from_json
from conformance.runner.results import (
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_UNTESTABLE,
    CaseOutcome,
    CheckStatus,
    Verdict,
    now,
)

PROFILE = "load"
"""What results.json's ``profile`` says for a load test."""


def load_result(
    settings: LoadSettings,
    outcome: dict[str, Any],
    checks: Sequence[Check],
    pools: Pools,
    *,
    target: dict[str, Any],
    token: str | None,
    cluster: dict[str, Any],
    reason: str | None = None,
) -> RunResult:
    """The `RunResult` of a load test from the Locust driver's outcome."""
    figures = Figures()
    figures.merge(outcome["figures"])
    duration = float(outcome.get("duration_s", 0.0))
    exchange_checks = [c for c in checks if not c.is_scenario]
    gates = evaluate(figures, exchange_checks, settings.gates, strict=settings.strict, duration_s=duration)
    reason = reason or outcome.get("note") or _untestable(figures)
    verdict: Verdict
    if reason is not None:
        verdict, exit_code = "error", EXIT_UNTESTABLE
    elif all(gate.passed for gate in gates):
        verdict, exit_code = "pass", EXIT_PASS
    else:
        verdict, exit_code = "fail", EXIT_FAIL
    cases = _kept_cases(figures, pools, {c.id: c for c in exchange_checks})
    check_results = tuple(_check_result(c, figures, cases) for c in checks)
    statuses = [c.status for c in check_results]
    failures = sum(failed_count(counts) for counts in figures.checks.values())
    started = float(outcome.get("started_wall", 0.0))
    counts = {
        "cases": figures.exchanges,
        "requests": figures.exchanges + 1,  # and the probe
        "retries": 0,
        "cases_passed": figures.exchanges - figures.failing - figures.transport_errors,
        "cases_failed": figures.failing,
        "cases_error": figures.transport_errors,
        "checks_passed": statuses.count("passed"),
        "checks_failed": statuses.count("failed"),
        "checks_skipped": statuses.count("skipped"),
        "checks_error": statuses.count("error"),
        "failures": failures,
        "new_failures": failures,
        "baselined": 0,
        "fixed": 0,
    }
    return RunResult(
        verdict=verdict,
        exit_code=exit_code,
        reason=reason,
        target=target,
        profile=PROFILE,
        seed=settings.seed,
        strict=settings.strict,
        started_at=now(started),
        finished_at=now(started + duration),
        duration_s=round(duration, 3),
        counts=counts,
        checks=check_results,
        cases=tuple(cases),
        secrets=(token,) if token else (),
        schema=schema_version(settings.schema_version),
        load=load_section(settings, outcome, figures, checks, gates, cluster),
    )


def _untestable(figures: Figures) -> str | None:
    if figures.exchanges == 0:
        return "no exchange was judged: no user sent a request before the run ended"
    if figures.transport_errors == figures.exchanges:
        return f"the target is unreachable under load: every request failed ({figures.error_examples[0]})"
    auth = figures.statuses.get("401", 0) + figures.statuses.get("403", 0)
    if auth == figures.exchanges:
        return "every request failed auth (401 or 403)"
    return None


def _kept_cases(figures: Figures, pools: Pools, checks: dict[str, Check]) -> list[CaseResult]:
    cases: list[CaseResult] = []
    for check_id, kept in sorted(figures.kept.items()):
        check = checks.get(check_id)
        for number, found in enumerate(kept, 1):
            original = pools.by_id.get(found["case_id"])
            body = original.body if original is not None else None
            exchange = replace(exchange_from_json(found["exchange"]), request_body=body)
            item = original or Case.from_json(
                {"id": found["case_id"], "kind": "valid", "label": "", "body": body, "expect": "accept"}
            )
            item = replace(
                item,
                id=f"{item.id}~{check_id}-{number}",
                label=f"{item.label} (failing exchange {number} of {check_id} under load)",
            )
            severity = check.severity if check is not None else "must"
            failure = Failure(check_id, item.id, found["message"], severity)
            errored = found.get("status") == "error"
            status: CheckStatus = "error" if errored else "failed"
            outcome: CaseOutcome = "error" if errored else "failed"
            cases.append(CaseResult(item, outcome, {check_id: status}, (failure,), (exchange,)))
    return cases


def _check_result(check: Check, figures: Figures, cases: Sequence[CaseResult]) -> CheckResult:
    if check.is_scenario:
        return CheckResult(
            check, "skipped", 0, (), "conformance load sends no scenarios; `conformance run` does"
        )
    counts: Mapping[str, int] = figures.checks.get(check.id) or {}
    judged = judged_count(counts)
    failures = tuple(f for case in cases for f in case.failures if f.check_id == check.id)
    if counts.get("error"):
        return CheckResult(check, "error", judged, failures)
    if failed_count(counts):
        return CheckResult(check, "failed", judged, failures)
    if judged:
        return CheckResult(check, "passed", judged, ())
    return CheckResult(check, "skipped", 0, (), "no exchange of this load test was one it applies to")


def load_section(
    settings: LoadSettings,
    outcome: dict[str, Any],
    figures: Figures,
    checks: Sequence[Check],
    gates: Sequence[Gate],
    cluster: dict[str, Any],
) -> dict[str, Any]:
    """The ``load`` member of results.json (docs/results-format.md)."""
    duration = float(outcome.get("duration_s", 0.0))
    h = figures.histograms
    started = float(outcome.get("started_wall", 0.0))
    interval = settings.series_interval_s
    first = int(started // interval)
    series = []
    for when in sorted(figures.series):
        point = figures.series[when]
        ttfe = point["ttfe_ms"]
        p50, p95 = ttfe.quantile(0.5), ttfe.quantile(0.95)
        series.append(
            {
                "t_s": round((when - first) * interval, 3),
                "requests": point["requests"],
                "tokens": point["tokens"],
                "errors": point["errors"],
                "refusals": point["refusals"],
                "failures": dict(point["failures"]),
                "ttfe_p50_s": None if p50 is None else round(p50 / 1000, 4),
                "ttfe_p95_s": None if p95 is None else round(p95 / 1000, 4),
            }
        )
    retry = figures.retry_after_s.summary(digits=3)
    return {
        "users": settings.users,
        "spawn_rate": settings.spawn_rate,
        "run_time_s": settings.run_time_s,
        "duration_s": duration,
        "interrupted": bool(outcome.get("interrupted")),
        "mix": dict(settings.mix),
        "cluster": cluster,
        "workers": [
            {"id": worker, "exchanges": count} for worker, count in sorted(outcome.get("workers", {}).items())
        ],
        "exchanges": figures.exchanges,
        "exchanges_failed": figures.failing,
        "by_class": dict(figures.by_class),
        "statuses": dict(sorted(figures.statuses.items())),
        "transport_errors": figures.transport_errors,
        "error_examples": list(figures.error_examples),
        "requests_per_second": round(figures.exchanges / duration, 2) if duration > 0 else None,
        "tokens": {
            "total": figures.tokens,
            "per_second": round(figures.tokens / duration, 2) if duration > 0 else None,
            "per_stream_per_second": h["stream_tokens_per_s"].summary(digits=2),
        },
        "latency": {
            "total_s": h["total_ms"].summary(scale=0.001),
            "ttfe_s": h["ttfe_ms"].summary(scale=0.001),
            "inter_event_s": h["gap_ms"].summary(scale=0.001),
        },
        "refusals": {
            "count": figures.refusals.get("count", 0),
            "codes": {
                k.removeprefix("code "): v for k, v in figures.refusals.items() if k.startswith("code ")
            },
            "without_retry_after": figures.refusals.get("without_retry_after", 0),
            "retry_after_s": retry,
            "judged_by": sorted(c.id for c in checks if c.judges_refusals),
        },
        "checks": [_check_figures(c, figures) for c in checks if not c.is_scenario],
        "gates": [gate.to_json() for gate in gates],
        "series": {"interval_s": interval, "points": series},
        "locust": outcome.get("locust", {}),
    }


def _check_figures(check: Check, figures: Figures) -> dict[str, Any]:
    counts: Mapping[str, int] = figures.checks.get(check.id) or {}
    judged, failed = judged_count(counts), failed_count(counts)
    spent = figures.judge_s.get(check.id, 0.0)
    return {
        "id": check.id,
        "severity": check.severity,
        "judged": judged,
        "passed": int(counts.get("passed", 0)),
        "failed": failed,
        "failure_ratio": round(failed / judged, 6) if judged else None,
        "sampled_out": int(counts.get("sampled_out", 0)),
        "sample_rate": SAMPLED.get(check.id, 1.0),
        "sampled_on": "streams" if check.id in SAMPLED else None,
        "kept": len(figures.kept.get(check.id, ())),
        "mean_judge_us": round(spent / judged * 1e6, 1) if judged else None,
    }
