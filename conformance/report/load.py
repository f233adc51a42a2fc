"""The load view of the report: gates, figures, checks judged under load and charts over time.

Built from results.json's ``load`` section only (docs/results-format.md);
a run without one has no load view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from conformance.report import _fields as f
from conformance.report.timeline import PALETTE, line_chart


@dataclass(frozen=True)
class TimeChart:
    title: str
    note: str
    svg: Markup
    legend: list[tuple[str, str]]


@dataclass(frozen=True)
class LoadView:
    gates: list[Mapping[str, Any]]
    facts: list[tuple[str, str]]
    checks: list[Mapping[str, Any]]
    statuses: list[tuple[str, int]]
    charts: list[TimeChart]
    sampled: list[str]


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def build_load_view(results: Mapping[str, Any]) -> LoadView | None:
    """The load view, or None when the results carry no load section."""
    load = f.mapping(results, "load")
    if not load:
        return None
    latency = f.mapping(load, "latency")
    tokens = f.mapping(load, "tokens")
    refusals = f.mapping(load, "refusals")
    ttfe = f.mapping(latency, "ttfe_s")
    gaps = f.mapping(latency, "inter_event_s")
    total = f.mapping(latency, "total_s")
    per_stream = f.mapping(tokens, "per_stream_per_second")
    workers = f.items(load, "workers")
    facts = [
        ("Users", f.text(load, "users", "?")),
        ("Mix", ", ".join(f"{k}={v}" for k, v in f.mapping(load, "mix").items())),
        (
            "Processes",
            f"{len(workers)} (" + ", ".join(f"{f.text(w, 'exchanges')}" for w in workers) + " exchanges)",
        ),
        ("Exchanges", f"{f.text(load, 'exchanges', '0')} ({f.text(load, 'requests_per_second', '-')}/s)"),
        ("Tokens", f"{f.text(tokens, 'total', '0')} ({f.text(tokens, 'per_second', '-')}/s in all)"),
        (
            "Tokens/s per stream",
            f"p50 {f.text(per_stream, 'p50', '-')}, p95 {f.text(per_stream, 'p95', '-')}",
        ),
        ("Latency", f"p50 {_seconds(f.number(total, 'p50'))}, p95 {_seconds(f.number(total, 'p95'))}"),
        (
            "Time to first event",
            f"p50 {_seconds(f.number(ttfe, 'p50'))}, p95 {_seconds(f.number(ttfe, 'p95'))}",
        ),
        ("Between events", f"p50 {_seconds(f.number(gaps, 'p50'))}, p95 {_seconds(f.number(gaps, 'p95'))}"),
        (
            "Refusals (429)",
            f"{f.text(refusals, 'count', '0')}, "
            f"{f.text(refusals, 'without_retry_after', '0')} without Retry-After",
        ),
        ("No response", f.text(load, "transport_errors", "0")),
    ]
    checks = [c for c in f.items(load, "checks")]
    sampled = [
        f"{f.text(c, 'id')} on {float(c.get('sample_rate', 1.0)):.0%} "
        f"of {f.text(c, 'sampled_on', 'exchanges')}"
        for c in checks
        if isinstance(c.get("sample_rate"), int | float) and c["sample_rate"] < 1.0
    ]
    statuses = [(str(k), int(v)) for k, v in f.mapping(load, "statuses").items() if isinstance(v, int)]
    return LoadView(
        f.items(load, "gates"), facts, checks, statuses, _charts(f.mapping(load, "series")), sampled
    )


def _charts(series: Mapping[str, Any]) -> list[TimeChart]:
    interval = f.number(series, "interval_s") or 1.0
    points = f.items(series, "points")

    def per_second(key: str) -> list[tuple[float, float | None]]:
        return [(f.number(p, "t_s") or 0.0, (f.number(p, key) or 0.0) / interval) for p in points]

    def value(key: str) -> list[tuple[float, float | None]]:
        return [(f.number(p, "t_s") or 0.0, f.number(p, key)) for p in points]

    failing = sorted({check for p in points for check in f.mapping(p, "failures")})
    failure_lines = [
        (
            check,
            PALETTE[i % len(PALETTE)],
            [
                (f.number(p, "t_s") or 0.0, float(f.mapping(p, "failures").get(check, 0)) / interval)
                for p in points
            ],
        )
        for i, check in enumerate(failing)
    ]
    rates = [
        ("requests/s", PALETTE[0], per_second("requests")),
        ("errors/s", PALETTE[4], per_second("errors")),
    ]
    ttfe = [("p50", PALETTE[2], value("ttfe_p50_s")), ("p95", PALETTE[1], value("ttfe_p95_s"))]
    return [
        TimeChart(
            "Requests per second",
            f"Every {interval:g} s.",
            line_chart(rates, "per second"),
            [(label, c) for label, c, _ in rates],
        ),
        TimeChart(
            "Tokens per second",
            "Completion tokens of the answers finished in each interval.",
            line_chart([("tokens/s", PALETTE[3], per_second("tokens"))], "per second"),
            [("tokens/s", PALETTE[3])],
        ),
        TimeChart(
            "Time to first event (s)",
            "Streams finished in each interval.",
            line_chart(ttfe, "s"),
            [(label, c) for label, c, _ in ttfe],
        ),
        TimeChart(
            "Failures per second, by check",
            "No check failed." if not failing else "Each failing check's failures.",
            line_chart(failure_lines, "failures per second"),
            [(label, c) for label, c, _ in failure_lines],
        ),
    ]
