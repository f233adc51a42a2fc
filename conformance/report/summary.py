"""The top of the report: the verdict in one sentence, what was tested, and the counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.report import _fields as f
from conformance.report.bodies import count


@dataclass(frozen=True)
class Fact:
    """A labelled value; ``title`` holds the long form where the value is shortened."""

    label: str
    value: str
    title: str = ""
    tone: str = ""  # "", "pass", "fail", "error", "baselined" colours a count tile


@dataclass(frozen=True)
class Summary:
    """Everything the report's header shows."""

    verdict: str  # "pass" | "fail" | "error" | "unknown"
    headline: str
    sentence: str
    reason: str
    facts: list[Fact]
    tiles: list[Fact]
    new_failures: int
    baselined: int
    fixed: int


def duration(seconds: float | None) -> str:
    """``70.2`` as ``1 min 10 s``; milliseconds below a second."""
    if seconds is None:
        return "unknown"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def timestamp(value: str) -> str:
    """An ISO 8601 UTC time as ``2026-11-23 21:00:00 UTC``; anything else unchanged."""
    if len(value) >= 19 and value[10] == "T":
        return value[:10] + " " + value[11:19] + (" UTC" if value.endswith(("Z", "+00:00")) else value[19:])
    return value


def public_url(url: str) -> str:
    """A URL without user, password or query string, which may carry credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _counts(results: Mapping[str, Any], failures: int, baselined: int) -> dict[str, int]:
    """The runner's counts, with what it left out computed from the cases and checks."""
    given = f.mapping(results, "counts")
    cases = f.items(results, "cases")
    checks = f.items(results, "checks")
    outcomes = [f.text(case, "outcome") for case in cases]
    statuses = [f.text(check, "status") for check in checks]
    computed = {
        "cases": len(cases),
        "cases_passed": outcomes.count("passed"),
        "cases_failed": outcomes.count("failed"),
        "cases_error": outcomes.count("error"),
        "checks_passed": statuses.count("passed"),
        "checks_failed": statuses.count("failed"),
        "checks_skipped": statuses.count("skipped"),
        "checks_error": statuses.count("error"),
        "failures": failures + baselined,
        "new_failures": failures,
        "baselined": baselined,
        "fixed": len(f.items(f.mapping(results, "baseline"), "fixed")),
        "requests": sum(len(f.items(case, "exchanges")) for case in cases),
        "retries": 0,
    }
    merged = {}
    for key, value in computed.items():
        stated = f.integer(given, key)
        merged[key] = value if stated is None else stated
    return merged


def report_summary(
    results: Mapping[str, Any],
    *,
    new_failures: int,
    baselined: int,
    failing_cases: int,
    disagreements: int | None = None,
) -> Summary:
    """The header of the report from a results dict.

    ``new_failures`` and ``baselined`` are counted from the failures listed,
    used only where the results carry no counts of their own.
    ``disagreements`` is set for a side-by-side run: the differences counted.
    """
    counts = _counts(results, new_failures, baselined)
    verdict = f.text(results, "verdict", "unknown")
    if verdict not in {"pass", "fail", "error"}:
        verdict = "unknown"
    reason = f.text(results, "reason")
    target = f.mapping(results, "target")
    model = f.text(target, "model", "unknown model")
    new, accepted, fixed = counts["new_failures"], counts["baselined"], counts["fixed"]

    checks = (
        counts["checks_passed"] + counts["checks_failed"] + counts["checks_skipped"] + counts["checks_error"]
    )
    if verdict == "pass":
        sentence = (
            f"The target conforms: {count(counts['cases'])} cases, {count(checks)} checks, no new failures."
        )
    elif verdict == "fail":
        sentence = f"The target does not conform: {_plural(new, 'new failure')}"
        sentence += f" in {_plural(failing_cases, 'case')}." if failing_cases else "."
    elif verdict == "error":
        sentence = "The target could not be tested" + (f": {reason}" if reason else ".")
    else:
        sentence = "These results carry no verdict."
    if disagreements is not None and verdict in ("pass", "fail"):
        sentence = _with_disagreements(sentence, verdict, new, disagreements)
    if accepted and verdict != "error":
        sentence += f" {_plural(accepted, 'more failure')} accepted in the baseline."

    when = timestamp(f.text(results, "started_at", "unknown"))
    finished = f.text(results, "finished_at")
    schemas = f.mapping(f.mapping(results, "toolkit"), "schemas")
    auth = f.text(target, "auth")
    facts = [
        Fact(
            "Target",
            public_url(f.text(target, "base_url", "unknown"))
            + (" (embedded reference server)" if f.flag(target, "embedded") else ""),
        ),
        Fact("Account", f.text(target, "account_id", "unknown")),
        Fact("Model", model),
        Fact("Auth", {"bearer": "Bearer token (redacted)", "none": "none"}.get(auth, auth or "unknown")),
        Fact(
            "Profile",
            f.text(results, "profile", "unknown") + (" (strict)" if f.flag(results, "strict") else ""),
        ),
        Fact("Seed", f.text(results, "seed", "none")),
        Fact("Toolkit", f.text(f.mapping(results, "toolkit"), "version", "unknown")),
        Fact(
            "Schemas",
            ", ".join(f"{name} {str(digest)[:12]}" for name, digest in schemas.items()) or "unknown",
            ", ".join(f"{name} sha256:{digest}" for name, digest in schemas.items()),
        ),
        Fact("When", when + (f" → {timestamp(finished)[11:]}" if finished[:10] == when[:10] else "")),
        Fact("Took", duration(f.number(results, "duration_s"))),
    ]
    tiles = [
        Fact(
            "cases",
            count(counts["cases"]),
            f"{count(counts['requests'])} requests, {count(counts['retries'])} retries",
        ),
        Fact("passed", count(counts["cases_passed"]), "cases whose every check passed", "pass"),
        Fact(
            "failed",
            count(counts["cases_failed"]),
            "cases with at least one failed check",
            "fail" if counts["cases_failed"] else "",
        ),
        Fact(
            "errors",
            count(counts["cases_error"]),
            "cases that could not be run to the end",
            "error" if counts["cases_error"] else "",
        ),
        Fact(
            "new failures",
            count(new),
            "failed checks not accepted in the baseline",
            "fail" if new else "pass",
        ),
        Fact(
            "baselined", count(accepted), "failures accepted in the baseline", "baselined" if accepted else ""
        ),
        Fact("fixed", count(fixed), "baseline entries that pass now", "pass" if fixed else ""),
        Fact(
            "checks",
            count(checks),
            f"{counts['checks_passed']} passed, {counts['checks_failed']} failed, "
            f"{counts['checks_skipped']} skipped, {counts['checks_error']} errors",
        ),
    ]
    headline = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}.get(verdict, "NO VERDICT")
    return Summary(verdict, headline, sentence, reason, facts, tiles, new, accepted, fixed)


def _with_disagreements(sentence: str, verdict: str, new: int, disagreements: int) -> str:
    if not disagreements:
        return sentence + " It agrees with the reference beyond the reference's own noise."
    differs = f"disagrees with the reference in {_plural(disagreements, 'place')} beyond its noise."
    if verdict == "fail" and not new:
        return f"The target {differs}"
    return f"{sentence} It {differs}"


def _plural(n: int, noun: str) -> str:
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"
