"""summary.md: short enough for a CI job summary. Verdict, counts, failing checks with one example each."""

from __future__ import annotations

from pathlib import Path

from conformance.runner.results import RunResult

_VERDICT = {"pass": "PASS", "fail": "FAIL", "error": "ERROR: target could not be tested"}


def summary_markdown(result: RunResult) -> str:
    """summary.md for a CI job summary: verdict, counts, failing and skipped checks; not yet redacted."""
    c = result.counts
    lines = [
        f"# Workers AI conformance: {_VERDICT[result.verdict]}",
        "",
        f"Target `{result.target['base_url']}` · model `{result.target['model']}` · "
        f"profile `{result.profile}` · seed `{result.seed}` · "
        f"{result.duration_s:.1f} s · exit {result.exit_code}",
        "",
    ]
    if result.reason:
        lines += [f"**Reason:** {result.reason}", ""]
    if result.stopped:
        lines += [f"**Stopped:** {result.stopped}", ""]
    lines += [
        "| cases | passed | failed | error | requests | retries | checks passed | failed | skipped |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {c['cases']} | {c['cases_passed']} | {c['cases_failed']} | {c['cases_error']} | {c['requests']} "
        f"| {c['retries']} | {c['checks_passed']} | {c['checks_failed']} | {c['checks_skipped']} |",
        "",
    ]
    failing = [check for check in result.checks if check.failures]
    if failing:
        lines += ["## Failing checks", ""]
        for check in failing:
            new = [f for f in check.failures if not f.baselined]
            example = (new or list(check.failures))[0]
            accepted = len(check.failures) - len(new)
            note = f", {accepted} accepted by the baseline" if accepted else ""
            lines += [
                f"### `{check.check.id}` ({check.check.severity}): {len(check.failures)} case(s){note}",
                "",
                f"{check.check.description} Example `{example.case_id}`:",
                "",
                "```",
                example.message[:800],
                "```",
                "",
            ]
    skipped = [check for check in result.checks if check.status == "skipped"]
    if skipped:
        lines += ["## Skipped checks", ""]
        lines += [f"- `{check.check.id}`: {check.skip_reason}" for check in skipped]
        lines.append("")
    if result.baseline is not None and result.baseline.fixed:
        lines += ["## Fixed since the baseline", ""]
        lines += [f"- `{check}` on `{case}`" for check, case in result.baseline.fixed]
        lines.append("")
    return "\n".join(lines)


def write_summary(result: RunResult, path: Path) -> Path:
    """Write summary.md with every secret of the run redacted; returns ``path``."""
    # backslashreplace: a lone surrogate from a target's JSON cannot be encoded as UTF-8.
    path.write_text(result.redact(summary_markdown(result)), encoding="utf-8", errors="backslashreplace")
    return path
