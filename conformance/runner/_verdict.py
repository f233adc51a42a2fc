"""Sums judged cases into check results, applies the baseline, and decides the verdict.

Pure: the baseline comes in as a value (`Baseline`), loaded and saved by the
caller (`baseline_for`, `save_updated_baseline`).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import replace

from conformance.checks import Check
from conformance.runner.baseline import Baseline
from conformance.runner.config import RunConfig
from conformance.runner.redaction import redact_secrets
from conformance.runner.results import (
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_UNTESTABLE,
    BaselineReport,
    CaseResult,
    CheckResult,
    CheckStatus,
    Failure,
    RunResult,
    Verdict,
    redact_case_result,
)


def run_result(
    config: RunConfig,
    checks: Sequence[Check],
    results: Sequence[CaseResult],
    skipped: dict[str, str],
    *,
    baseline: Baseline | None,
    reason: str | None,
    stopped: str | None = None,
    extra_requests: int,
    started_at: str,
    finished_at: str,
    duration_s: float,
) -> RunResult:
    """The run's result: ``results`` summed per check, ``baseline`` applied, the verdict and its exit code.

    ``reason`` says why nothing could be judged, ``stopped`` why the sending
    stopped early; ``extra_requests`` counts requests no result holds (the probe).
    """
    # Redacted before anything is summed or saved: every writer, the baseline included,
    # then serializes values that hold no secret (docs/runner.md, "The token").
    secrets = (config.token,) if config.token else ()
    results = sorted((redact_case_result(r, secrets) for r in results), key=lambda r: r.id)
    skipped = {check_id: redact_secrets(why, secrets) for check_id, why in skipped.items()}
    reason = None if reason is None else redact_secrets(reason, secrets)
    previous: set[tuple[str, str]] = set(baseline.accepted) if baseline is not None else set()
    accepted = previous if baseline is not None and not baseline.update else set()

    cases = tuple(_mark_baselined(r, accepted) for r in results)
    check_results = tuple(_check_result(c, cases, skipped.get(c.id)) for c in checks)
    failures = [f for c in check_results for f in c.failures]

    report: BaselineReport | None = None
    if baseline is not None:
        current = {(f.check_id, f.case_id) for f in failures}
        judged = {(check_id, r.id) for r in cases for check_id in r.checks}
        fixed = tuple(sorted(k for k in previous - current if k in judged))
        if baseline.update:  # the caller writes these failures to the file (`save_updated_baseline`)
            accepted = current
            cases = tuple(_mark_baselined(r, accepted) for r in cases)
            check_results = tuple(_check_result(c, cases, skipped.get(c.id)) for c in checks)
            failures = [f for c in check_results for f in c.failures]
        report = BaselineReport(baseline.path, tuple(sorted(accepted)), fixed, baseline.update)

    verdict: Verdict
    if reason is not None:
        verdict, exit_code = "error", EXIT_UNTESTABLE
    elif stopped is not None:
        # What was not sent was not judged: the run cannot pass, whatever the rest did.
        verdict, exit_code = "fail", EXIT_FAIL
    else:
        blocking = [f for f in failures if not f.baselined and (f.severity == "must" or config.strict)]
        verdict, exit_code = ("fail", EXIT_FAIL) if blocking else ("pass", EXIT_PASS)

    exchanges = [e for r in cases for e in r.exchanges]
    statuses = [c.status for c in check_results]
    new = [f for f in failures if not f.baselined]
    counts = {
        "cases": len(cases),
        "requests": len(exchanges) + extra_requests + sum(e.retries for e in exchanges),
        "retries": sum(e.retries for e in exchanges),
        "cases_passed": sum(r.outcome == "passed" for r in cases),
        "cases_failed": sum(r.outcome == "failed" for r in cases),
        "cases_error": sum(r.outcome == "error" for r in cases),
        "checks_passed": statuses.count("passed"),
        "checks_failed": statuses.count("failed"),
        "checks_skipped": statuses.count("skipped"),
        "checks_error": statuses.count("error"),
        "failures": len(failures),
        "new_failures": len(new),
        "baselined": len(failures) - len(new),
        "fixed": len(report.fixed) if report else 0,
    }
    return RunResult(
        verdict=verdict,
        exit_code=exit_code,
        reason=reason,
        target=config.target.to_json(),
        profile=config.profile,
        seed=config.run_seed,
        strict=config.strict,
        started_at=started_at,
        finished_at=finished_at,
        duration_s=round(duration_s, 3),
        counts=counts,
        checks=check_results,
        cases=cases,
        baseline=report,
        schema=config.schema,
        stopped=stopped,
    )


def _mark_baselined(result: CaseResult, accepted: set[tuple[str, str]]) -> CaseResult:
    failures = tuple(replace(f, baselined=(f.check_id, f.case_id) in accepted) for f in result.failures)
    return replace(result, failures=failures)


def _check_result(check: Check, cases: Sequence[CaseResult], skip_reason: str | None) -> CheckResult:
    failures: list[Failure] = []
    checked = 0
    errored = False
    skips: list[Failure] = []
    for result in cases:
        status = result.checks.get(check.id)
        if status is None:
            continue
        if status == "skipped":
            skips.extend(s for s in result.skips if s.check_id == check.id)
            continue
        checked += 1
        errored = errored or status == "error"
        failures.extend(f for f in result.failures if f.check_id == check.id)
    overall: CheckStatus
    if errored:
        overall = "error"
    elif failures:
        overall = "failed"
    elif checked:
        overall = "passed"
    else:
        overall = "skipped"
        if skip_reason is None:
            skip_reason = (
                f"skipped on every case, e.g. {skips[0].case_id}: {skips[0].message}"
                if skips
                else "no case in this run was one it applies to"
            )
    return CheckResult(
        check, overall, checked, tuple(failures), skip_reason if overall == "skipped" else None
    )


def toolkit_version() -> str:
    try:
        return importlib.metadata.version("workers-ai-conformance")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
