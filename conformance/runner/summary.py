"""summary.md: short enough for a CI job summary. Verdict, counts, failing checks with one example each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.runner.differences import Differences
from conformance.runner.results import RunResult

_VERDICT = {"pass": "PASS", "fail": "FAIL", "error": "ERROR: target could not be tested"}


def summary_markdown(result: RunResult) -> str:
    """summary.md for a CI job summary: verdict, counts, failing and skipped checks; secrets taken out."""
    result = result.redacted()
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
    if result.load is not None:
        lines += _load_lines(result.load)
    else:
        lines += [
            "| cases | passed | failed | error | requests | retries | checks passed | failed | skipped |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {c['cases']} | {c['cases_passed']} | {c['cases_failed']} | {c['cases_error']} "
            f"| {c['requests']} "
            f"| {c['retries']} | {c['checks_passed']} | {c['checks_failed']} | {c['checks_skipped']} |",
            "",
        ]
    if result.differences is not None:
        lines += _differences(result.differences)
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


def _differences(found: Differences) -> list[str]:
    reference = found.reference
    where = reference.get("capture") or reference.get("base_url") or "unknown"
    lines = [
        "## Differences from the reference",
        "",
        f"Reference `{where}` ({reference.get('kind', 'unknown')}); the {found.noise_sample} was asked twice "
        f"to learn its noise. {found.cases_compared} cases compared; "
        f"{found.texts_same} of {found.texts_compared} generated texts the same.",
        "",
        "| class | counted | accepted | noise |",
        "| --- | ---: | ---: | ---: |",
    ]
    for klass, row in found.counts().items():
        allowed = " (--allow)" if klass in found.allowed else ""
        lines.append(f"| `{klass}`{allowed} | {row['counted']} | {row['accepted']} | {row['noise']} |")
    lines.append("")
    counted = found.counted
    if counted:
        lines += ["Counted, first of each class:", ""]
        for klass in dict.fromkeys(d.klass for d in counted):
            d = next(d for d in counted if d.klass == klass)
            at = "" if d.exchange is None else f" request {d.exchange + 1}"
            note = f" ({d.note})" if d.note else ""
            lines.append(
                f"- `{klass}` `{d.case_id}`{at}: {d.fact}: reference {_code(d.reference)}, "
                f"target {_code(d.target)}{note}"
            )
        lines.append("")
    return lines


def _code(value: object) -> str:
    # A backtick in what a target sent would end the code span early.
    return "`" + str(value).replace("`", "'").replace("\n", " ") + "`"


def _load_lines(load: dict[str, Any]) -> list[str]:
    """A load test's summary: the gates with their figures, then the load's own figures."""
    lines = ["## Gates", "", "| gate | limit | measured | |", "| --- | --- | --- | --- |"]
    for gate in load.get("gates", []):
        lines.append(
            f"| {gate['name']} | {gate['limit']} | {gate['value']} "
            f"| {'pass' if gate['passed'] else '**FAIL**'} |"
        )
    latency = load.get("latency", {})
    tokens = load.get("tokens", {})
    refusals = load.get("refusals", {})
    ttfe = latency.get("ttfe_s", {})
    lines += [
        "",
        "## Load",
        "",
        f"{load.get('users')} users, mix {', '.join(f'{k}={v}' for k, v in load.get('mix', {}).items())}, "
        f"{len(load.get('workers', []))} process(es).",
        "",
        "| exchanges | per second | tokens | tokens/s | p50 latency | p95 TTFE | refusals (429) "
        "| no response |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {load.get('exchanges', 0)} | {load.get('requests_per_second')} | {tokens.get('total', 0)} "
        f"| {tokens.get('per_second')} | {_seconds(latency.get('total_s', {}).get('p50'))} "
        f"| {_seconds(ttfe.get('p95'))} | {refusals.get('count', 0)} | {load.get('transport_errors', 0)} |",
        "",
        "Statuses: " + (", ".join(f"{k}: {v}" for k, v in load.get("statuses", {}).items()) or "none") + ".",
        "",
    ]
    sampled = [c for c in load.get("checks", []) if c.get("sample_rate", 1.0) < 1.0]
    if sampled:
        lines += [
            "Sampled: "
            + ", ".join(
                f"`{c['id']}` on {c['sample_rate']:.0%} of {c.get('sampled_on') or 'exchanges'}"
                for c in sampled
            )
            + ".",
            "",
        ]
    return lines


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{value:.3f} s"


def write_summary(result: RunResult, path: Path) -> Path:
    """Write summary.md with every secret of the run taken out of its values; returns ``path``."""
    # backslashreplace: a lone surrogate from a target's JSON cannot be encoded as UTF-8.
    path.write_text(summary_markdown(result), encoding="utf-8", errors="backslashreplace")
    return path
