"""The gates of a load test: what fails it, each with its limit and the figure it was compared with.

By default any failure of a ``must`` check on any exchange fails the run
(``should`` checks too with ``--strict``); ``--max-failure-ratio`` allows
that share of the exchanges a check judged to fail. Exchanges that got no
response at all count against the same ratio. ``--p95-ttft`` and
``--min-tokens-per-second`` add a latency and a throughput gate.

>>> gate = Gate("p95 time to first event", "at most 2 s", "1.2 s", True)
>>> gate.to_json()["passed"]
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from conformance.checks import Check
from conformance.load.figures import Figures
from conformance.load.settings import Gates


@dataclass(frozen=True)
class Gate:
    """One gate: what it measures, its limit, the figure measured, and whether the figure is within it."""

    name: str
    limit: str
    value: str
    passed: bool
    check: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def failed_count(counts: Mapping[str, int]) -> int:
    """Failures of a check: it failed, or raised an error of its own."""
    return int(counts.get("failed", 0)) + int(counts.get("error", 0))


def judged_count(counts: Mapping[str, int]) -> int:
    return int(counts.get("passed", 0)) + failed_count(counts)


def evaluate(
    figures: Figures, checks: Sequence[Check], gates: Gates, *, strict: bool, duration_s: float
) -> list[Gate]:
    """Every gate of the run, in the order the reports list them."""
    ratio = gates.max_failure_ratio
    limit = "no failure" if ratio == 0 else f"failure ratio at most {ratio:g}"
    found: list[Gate] = []
    for check in checks:
        if check.severity != "must" and not strict:
            continue
        counts: Mapping[str, int] = figures.checks.get(check.id) or {}
        judged, failed = judged_count(counts), failed_count(counts)
        share = failed / judged if judged else 0.0
        value = f"{failed} of {judged} exchanges failed" + (f" ({share:.2%})" if failed else "")
        found.append(
            Gate(f"{check.id} ({check.severity})", limit, value, _within(failed, share, ratio), check.id)
        )
    exchanges, errors = figures.exchanges, figures.transport_errors
    share = errors / exchanges if exchanges else 0.0
    found.append(
        Gate(
            "every exchange answered",
            limit,
            f"{errors} of {exchanges} exchanges got no response" + (f" ({share:.2%})" if errors else ""),
            _within(errors, share, ratio),
        )
    )
    if gates.p95_ttft_s is not None:
        p95 = figures.histograms["ttfe_ms"].quantile(0.95)
        value = "no stream sent its first event" if p95 is None else f"{p95 / 1000:.3f} s"
        passed = p95 is not None and p95 / 1000 <= gates.p95_ttft_s
        found.append(Gate("p95 time to first event", f"at most {gates.p95_ttft_s:g} s", value, passed))
    if gates.min_tokens_per_second is not None:
        rate = figures.tokens / duration_s if duration_s > 0 else 0.0
        found.append(
            Gate(
                "tokens per second",
                f"at least {gates.min_tokens_per_second:g}",
                f"{rate:.1f} ({figures.tokens} tokens in {duration_s:.1f} s)",
                rate >= gates.min_tokens_per_second,
            )
        )
    return found


def _within(failed: int, share: float, ratio: float) -> bool:
    return failed == 0 if ratio == 0 else share <= ratio
