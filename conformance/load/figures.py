"""The figures of a load test, kept bounded and mergeable across Locust workers.

Each worker keeps a `Figures` and sends what it gathered since its last
report with Locust's own stats messages (`take` empties it); the master
`merge`s every delta, so the merged figures are sums over workers.
Percentiles come from `Histogram`s with buckets 2% wide (merged by adding
counts, never by averaging percentiles); failing exchanges are kept up to
`KEEP_PER_CHECK` per check, the rest only counted.

>>> h = Histogram()
>>> for ms in (10, 20, 30, 40, 1000):
...     h.add(ms)
>>> round(h.quantile(0.5))
30
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

KEEP_PER_CHECK = 5
"""Failing exchanges kept (with their requests) per check and per process; the rest are counted."""

KEEP_ERRORS = 5
"""Distinct transport errors kept as examples."""

_GROWTH = 1.02
_LOG_GROWTH = math.log(_GROWTH)


class Histogram:
    """Counts of positive values in buckets 2% wide: quantiles within 2%, about 1000 buckets at most."""

    def __init__(self, counts: dict[int, int] | None = None) -> None:
        self.counts: Counter[int] = Counter(counts or {})

    def add(self, value: float) -> None:
        self.counts[_bucket(value)] += 1

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: Histogram) -> None:
        self.counts.update(other.counts)

    def quantile(self, q: float) -> float | None:
        """The value below which ``q`` of the values lie (a bucket's middle), or None when empty."""
        total = self.n
        if not total:
            return None
        rank = q * (total - 1)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen > rank:
                return _value(bucket)
        return _value(max(self.counts))

    def summary(self, scale: float = 1.0, digits: int = 4) -> dict[str, Any]:
        """``{"n", "p50", "p95", "p99", "max"}`` with values multiplied by ``scale``."""
        values = {
            name: self.quantile(q) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        }
        return {"n": self.n} | {k: None if v is None else round(v * scale, digits) for k, v in values.items()}

    def to_json(self) -> dict[str, int]:
        return {str(k): v for k, v in self.counts.items()}

    @classmethod
    def from_json(cls, data: dict[str, int]) -> Histogram:
        return cls({int(k): int(v) for k, v in data.items()})


def _bucket(value: float) -> int:
    if not value > 0 or not math.isfinite(value):
        return -(10**6)  # zero, negatives and NaN share the lowest bucket
    return math.floor(math.log(value) / _LOG_GROWTH)


def _value(bucket: int) -> float:
    if bucket == -(10**6):
        return 0.0
    return float(_GROWTH ** (bucket + 0.5))


class Figures:
    """Everything counted about the exchanges of one process (or, merged, of all of them).

    Values are plain JSON (`to_json`) so that they travel in Locust's messages.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.exchanges = 0
        self.failing = 0
        self.by_class: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.transport_errors = 0
        self.error_examples: list[str] = []
        self.checks: dict[str, Counter[str]] = {}
        self.judge_s: dict[str, float] = {}
        self.kept: dict[str, list[dict[str, Any]]] = {}
        self.refusals: Counter[str] = Counter()
        self.retry_after_s = Histogram()
        self.tokens = 0
        self.histograms: dict[str, Histogram] = {
            name: Histogram() for name in ("total_ms", "ttfe_ms", "gap_ms", "stream_tokens_per_s")
        }
        self.series: dict[int, dict[str, Any]] = {}
        self.workers: Counter[str] = Counter()

    # -- recording, in the process that judged --

    def point(self, when: int) -> dict[str, Any]:
        """The counts of one interval of the charts over time."""
        found = self.series.get(when)
        if found is None:
            found = self.series[when] = {
                "requests": 0,
                "tokens": 0,
                "errors": 0,
                "refusals": 0,
                "failures": Counter(),
                "ttfe_ms": Histogram(),
            }
        return found

    def keep(self, check_id: str, failure: dict[str, Any]) -> bool:
        """Keep one failing exchange of ``check_id`` when fewer than `KEEP_PER_CHECK` are kept."""
        kept = self.kept.setdefault(check_id, [])
        if len(kept) >= KEEP_PER_CHECK:
            return False
        kept.append(failure)
        return True

    def wants(self, check_id: str) -> bool:
        """Whether a failure of ``check_id`` would still be kept (so it is worth serialising)."""
        return len(self.kept.get(check_id, ())) < KEEP_PER_CHECK

    def note_error(self, error: str) -> None:
        self.transport_errors += 1
        if len(self.error_examples) < KEEP_ERRORS and error not in self.error_examples:
            self.error_examples.append(error)

    # -- travelling and merging --

    def take(self) -> dict[str, Any]:
        """Everything gathered so far as JSON, leaving this empty: the delta a worker reports."""
        delta = self.to_json()
        self._reset()
        return delta

    def to_json(self) -> dict[str, Any]:
        return {
            "exchanges": self.exchanges,
            "failing": self.failing,
            "by_class": dict(self.by_class),
            "statuses": dict(self.statuses),
            "transport_errors": self.transport_errors,
            "error_examples": list(self.error_examples),
            "checks": {k: dict(v) for k, v in self.checks.items()},
            "judge_s": dict(self.judge_s),
            "kept": {k: list(v) for k, v in self.kept.items()},
            "refusals": dict(self.refusals),
            "retry_after_s": self.retry_after_s.to_json(),
            "tokens": self.tokens,
            "histograms": {k: v.to_json() for k, v in self.histograms.items()},
            "series": {
                str(when): {
                    **{k: v for k, v in point.items() if k not in ("failures", "ttfe_ms")},
                    "failures": dict(point["failures"]),
                    "ttfe_ms": point["ttfe_ms"].to_json(),
                }
                for when, point in self.series.items()
            },
            "workers": dict(self.workers),
        }

    def merge(self, delta: dict[str, Any]) -> None:
        """Add a delta (`take`'s JSON) to these figures."""
        self.exchanges += int(delta.get("exchanges", 0))
        self.failing += int(delta.get("failing", 0))
        self.by_class.update(delta.get("by_class", {}))
        self.statuses.update(delta.get("statuses", {}))
        self.transport_errors += int(delta.get("transport_errors", 0))
        for error in delta.get("error_examples", []):
            if len(self.error_examples) < KEEP_ERRORS and error not in self.error_examples:
                self.error_examples.append(error)
        for check_id, counts in delta.get("checks", {}).items():
            self.checks.setdefault(check_id, Counter()).update(counts)
        for check_id, seconds in delta.get("judge_s", {}).items():
            self.judge_s[check_id] = self.judge_s.get(check_id, 0.0) + float(seconds)
        for check_id, failures in delta.get("kept", {}).items():
            for failure in failures:
                self.keep(check_id, failure)
        self.refusals.update(delta.get("refusals", {}))
        self.retry_after_s.merge(Histogram.from_json(delta.get("retry_after_s", {})))
        self.tokens += int(delta.get("tokens", 0))
        for name, counts in delta.get("histograms", {}).items():
            self.histograms.setdefault(name, Histogram()).merge(Histogram.from_json(counts))
        for when, point in delta.get("series", {}).items():
            mine = self.point(int(when))
            for key in ("requests", "tokens", "errors", "refusals"):
                mine[key] += int(point.get(key, 0))
            mine["failures"].update(point.get("failures", {}))
            mine["ttfe_ms"].merge(Histogram.from_json(point.get("ttfe_ms", {})))
        self.workers.update(delta.get("workers", {}))
