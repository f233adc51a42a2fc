"""The inline SVG charts: histograms stacked by class, percentiles, outliers gathered."""

from __future__ import annotations

import re

from conformance.report.charts import build_charts, histogram, quantile
from support.results_builder import passing_run


def test_quantiles_interpolate() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([7.0], 0.99) == 7.0


def test_histogram_counts_every_sample() -> None:
    samples = [("valid", float(v)) for v in range(100)] + [("invalid", 5.0)] * 10
    svg = str(histogram(samples, ["valid", "invalid"], "ms"))
    counts = [int(n.replace(",", "")) for n in re.findall(r": ([\d,]+) cases", svg)]
    assert sum(counts) == 110
    assert svg.count("<svg") == 1 and "p50" in svg and "p90" in svg


def test_outliers_are_gathered_in_the_last_bar() -> None:
    samples = [("valid", 1.0 + i / 100) for i in range(200)] + [("valid", 1000.0)]
    svg = str(histogram(samples, ["valid"], "ms"))
    assert "≥" in svg
    assert ">+</text>" in svg


def test_no_samples_say_so() -> None:
    assert "No case recorded this measure." in str(histogram([], ["valid"], "ms"))


def test_markup_in_class_names_is_escaped() -> None:
    svg = str(histogram([("<b>x</b>", 1.0)], ["<b>x</b>"], "ms"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_charts_of_a_run() -> None:
    latency, ttft, rates = build_charts(passing_run())
    assert latency.title == "Latency (ms)" and latency.stats[0].label == "all"
    assert latency.stats[0].n == 48
    assert ttft.note.startswith("First SSE event of 8 streamed cases")
    assert rates.stats[0].n == 40  # rejected cases generate no tokens
