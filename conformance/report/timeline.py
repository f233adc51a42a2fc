"""Line charts over a load test's time, drawn as inline SVG like the report's histograms.

>>> svg = line_chart([("requests/s", "#2563eb", [(0.0, 1.0), (1.0, 3.0)])], "per second")
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from conformance.report.charts import chart_frame, tick_label

WIDTH, HEIGHT = 400, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 24

Line = tuple[str, str, Sequence[tuple[float, float | None]]]
"""A line: its label, its colour, and its (seconds, value) points; None leaves a gap."""

PALETTE = ("#2563eb", "#ea580c", "#0d9488", "#7c3aed", "#dc2626", "#65a30d", "#db2777", "#64748b")


def _nice(high: float) -> float:
    if high <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(high))
    for factor in (1, 2, 2.5, 5, 10):
        if high <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def line_chart(lines: Sequence[Line], unit: str) -> Markup:
    """An SVG chart of ``lines`` over time; ``unit`` names the values in tooltips."""
    points = [(t, v) for _, _, values in lines for t, v in values if v is not None]
    if not points:
        return Markup('<p class="empty">Nothing was measured over time.</p>')
    t_high = max(max(t for t, _ in points), 1.0)
    v_high = _nice(max(v for _, v in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / t_high

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / v_high

    parts = chart_frame(LEFT, RIGHT)
    for fraction in (0.0, 0.5, 1.0):
        level = v_high * fraction
        parts.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{WIDTH - RIGHT}" y2="{y(level):.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y(level) + 4:.1f}" class="tick" '
            f'text-anchor="end">{tick_label(level)}</text>'
        )
    for fraction in (0.0, 0.5, 1.0):
        t = t_high * fraction
        parts.append(
            f'<text x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 18}" class="tick" '
            f'text-anchor="middle">{tick_label(t)} s</text>'
        )
    for label, colour, values in lines:
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for t, v in values:
            if v is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(t):.1f},{y(v):.1f}")
        parts.append(f"<g><title>{escape(label)} ({escape(unit)})</title>")
        for drawn in segments:
            if len(drawn) == 1:
                cx, cy = drawn[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"/>')
            elif drawn:
                parts.append(
                    f'<polyline points="{" ".join(drawn)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
