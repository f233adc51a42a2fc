"""Histograms of latency, time to first token and tokens per second, drawn as inline SVG.

Drawn here rather than by a charting library so the report stays one file
with no scripts to fetch; bars are stacked by case class, so a slow class shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from conformance.report import _fields as f
from conformance.report.failures import case_class
from conformance.report.matrix import CLASSES

CLASS_COLOURS = {
    "valid": "#2563eb",
    "boundary": "#7c3aed",
    "invalid": "#ea580c",
    "streaming": "#0d9488",
    "scenario": "#65a30d",
}
OTHER_COLOUR = "#64748b"

WIDTH, HEIGHT = 400, 190
LEFT, RIGHT, TOP, BOTTOM = 38, 20, 14, 24
BINS = 30


@dataclass(frozen=True)
class Stat:
    """Percentiles of one metric over one class of cases."""

    label: str
    n: int
    p50: str
    p90: str
    p99: str
    max: str


@dataclass(frozen=True)
class Chart:
    """One metric: a histogram and its percentiles by class."""

    title: str
    note: str
    svg: Markup
    stats: list[Stat]


def colour(klass: str) -> str:
    """The colour a case class has in every chart."""
    return CLASS_COLOURS.get(klass, OTHER_COLOUR)


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile of sorted ``values``, interpolated linearly."""
    if not values:
        return math.nan
    position = (len(values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (values[high] - values[low]) * (position - low))


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks if span > 0 else 1.0
    magnitude: float = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def chart_frame(left: float = LEFT, right: float = RIGHT) -> list[str]:
    """The opening of every chart's SVG: the canvas and the horizontal axis (close it with ``</svg>``).

    ``left`` and ``right`` are the chart's margins: a line chart's tick labels need more room.
    """
    return [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - right}" '
        f'y2="{HEIGHT - BOTTOM}" class="axis"/>',
    ]


def tick_label(value: float) -> str:
    """A chart's number: whole with thousands separators from 100 up, else three significant digits.

    >>> [tick_label(v) for v in (0, 0.005, 0.0125, 2.5, 12.5, 1250)]
    ['0', '0.005', '0.0125', '2.5', '12.5', '1,250']
    """
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def histogram(samples: Sequence[tuple[str, float]], classes: Sequence[str], unit: str) -> Markup:
    """An SVG histogram of ``(class, value)`` samples, bars stacked by class.

    Values past three times the 99th percentile are gathered in a last bar
    marked "+", so one stuck request does not squash every other bar.
    """
    if not samples:
        return Markup('<p class="empty">No case recorded this measure.</p>')
    values = sorted(value for _, value in samples)
    top, p99 = values[-1], quantile(values, 0.99)
    overflow = top > 3 * p99 > 0
    high = p99 if overflow else top
    step = _nice_step(high)
    high = max(step * math.ceil(high / step), step)
    width = high / BINS
    stacks = [dict.fromkeys(classes, 0) for _ in range(BINS)]
    for klass, value in samples:
        index = min(int(max(value, 0) / width), BINS - 1)
        stacks[index][klass if klass in stacks[index] else classes[-1]] += 1
    tallest = max(sum(stack.values()) for stack in stacks)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / BINS

    def x(value: float) -> float:
        return LEFT + plot_w * value / high

    def y(n: float) -> float:
        return TOP + plot_h - plot_h * n / tallest

    parts = chart_frame()
    tick = 0.0
    while tick <= high + step / 2:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{TOP + plot_h}" x2="{x(tick):.1f}" '
            f'y2="{TOP + plot_h + 4}" class="axis"/>'
            f'<text x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 18}" class="tick" '
            f'text-anchor="middle">{tick_label(tick)}</text>'
        )
        tick += step
    for n in sorted({0, round(tallest / 2), tallest}):
        parts.append(
            f'<line x1="{LEFT}" y1="{y(n):.1f}" x2="{WIDTH - RIGHT}" y2="{y(n):.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y(n) + 4:.1f}" class="tick" text-anchor="end">{n:,}</text>'
        )
    for index, stack in enumerate(stacks):
        total = sum(stack.values())
        if not total:
            continue
        low_edge, high_edge = index * width, (index + 1) * width
        last = overflow and index == BINS - 1
        label = f"≥ {tick_label(low_edge)}" if last else f"{tick_label(low_edge)} to {tick_label(high_edge)}"
        shares = ", ".join(f"{klass} {n:,}" for klass, n in stack.items() if n)
        parts.append(f"<g><title>{escape(label)} {escape(unit)}: {total:,} cases ({escape(shares)})</title>")
        base = 0
        for klass, n in stack.items():
            if not n:
                continue
            parts.append(
                f'<rect x="{LEFT + index * bar_w + 0.5:.1f}" y="{y(base + n):.1f}" '
                f'width="{bar_w - 1:.1f}" height="{y(base) - y(base + n):.1f}" '
                f'fill="{colour(klass)}"/>'
            )
            base += n
        if last:
            parts.append(
                f'<text x="{LEFT + (index + 0.5) * bar_w:.1f}" y="{y(total) - 3:.1f}" '
                'class="tick" text-anchor="middle">+</text>'
            )
        parts.append("</g>")
    for q, name in ((0.5, "p50"), (0.9, "p90")):
        at = min(quantile(values, q), high)
        parts.append(
            f'<line x1="{x(at):.1f}" y1="{TOP}" x2="{x(at):.1f}" y2="{TOP + plot_h}" class="marker"/>'
            f'<text x="{x(at) + 3:.1f}" y="{TOP + 9}" class="marker-label">{name}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _stats(
    samples: Sequence[tuple[str, float]], classes: Sequence[str], show: Callable[[float], str]
) -> list[Stat]:
    rows = []
    for label in ("all", *classes):
        values = sorted(v for k, v in samples if label in ("all", k))
        if not values or (label != "all" and len(classes) == 1):
            continue
        rows.append(
            Stat(
                label,
                len(values),
                show(quantile(values, 0.5)),
                show(quantile(values, 0.9)),
                show(quantile(values, 0.99)),
                show(values[-1]),
            )
        )
    return rows


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _rate(value: float) -> str:
    return f"{value:,.1f}/s"


def build_charts(results: Mapping[str, Any]) -> list[Chart]:
    """Latency, time to first token and tokens per second over every case that recorded them."""
    latency: list[tuple[str, float]] = []
    first_event: list[tuple[str, float]] = []
    first_byte: list[tuple[str, float]] = []
    rates: list[tuple[str, float]] = []
    for case in f.items(results, "cases"):
        klass = case_class(case)
        timing = f.mapping(case, "timing")
        for bucket, value in (
            (latency, f.number(timing, "total_s")),
            (first_event, f.number(timing, "ttfe_s")),
            (first_byte, f.number(timing, "ttfb_s")),
            (rates, f.number(f.mapping(case, "tokens"), "per_second")),
        ):
            if value is not None and value >= 0:
                bucket.append((klass, value))
    present = {klass for klass, _ in latency + first_byte + rates}
    classes = [k for k in CLASSES if k in present] + sorted(present - set(CLASSES)) or ["valid"]

    def seconds_chart(title: str, note: str, samples: list[tuple[str, float]]) -> Chart:
        in_ms = [(k, v * 1000) for k, v in samples]
        return Chart(title, note, histogram(in_ms, classes, "ms"), _stats(samples, classes, _ms))

    if first_event:
        ttft = seconds_chart(
            "Time to first token (ms)",
            f"First SSE event of {len(first_event):,} streamed cases.",
            first_event,
        )
    else:
        ttft = seconds_chart(
            "Time to first token (ms)",
            "No case streamed; this is the time to the first response byte.",
            first_byte,
        )
    return [
        seconds_chart("Latency (ms)", f"Whole exchange, {len(latency):,} cases.", latency),
        ttft,
        Chart(
            "Tokens per second",
            f"Completion tokens over generation time, {len(rates):,} cases.",
            histogram(rates, classes, "tokens/s"),
            _stats(rates, classes, _rate),
        ),
    ]
