"""Judging one exchange under load: the same exchange checks as `conformance run`, some sampled.

A 429 whose envelope carries a documented capacity code (3040, 3036) is a
refusal: it is counted with its Retry-After, and only its envelope is judged,
as `run` judges a 429 still there after its retries. Any other answer goes
through every selected exchange check; a check listed in `SAMPLED` judges
only that share of the streams, and the report says so::

    judged = judge(case, exchange, checks, RunFacts(), sample=lambda check_id: True)
    judged.statuses  # {'status_code_conformance': 'passed', ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.checks import Check, RunFacts
from conformance.checks.reading import error_codes, reported_usage
from conformance.contract import documented_refusal
from conformance.generation import Case
from conformance.runner import Failure, judge_case
from conformance.transport import DONE, Exchange

SAMPLED: dict[str, float] = {"max_tokens_honoured": 0.25, "usage_consistent": 0.25}
"""Checks judged on a share of the streams only, by id; every other check judges every exchange.

Measured with benchmarks/load_judging.py (docs/load.md): each built-in check
judges a JSON answer in about 20 microseconds or less, but these two read
every event of a stream again to find its usage, about 1.8 ms each on a
256-event stream, as much as the framing check that must see every stream.
JSON answers are always judged by all of them. results.json says the rate
in ``load.checks[].sample_rate``.
"""


@dataclass(frozen=True)
class Refusal:
    """A 429 the contract documents: its capacity code and the Retry-After it asked for (None: none)."""

    code: int
    retry_after_s: float | None


@dataclass(frozen=True)
class Judged:
    """What the checks said about one exchange, how long each took, and what it generated."""

    statuses: dict[str, str]
    failures: tuple[Failure, ...]
    seconds: dict[str, float]
    sampled_out: tuple[str, ...] = ()
    refusal: Refusal | None = None
    error: str | None = None
    tokens: int | None = None

    @property
    def failed(self) -> bool:
        return any(status in ("failed", "error") for status in self.statuses.values())


def judge(
    case: Case,
    exchange: Exchange,
    checks: Sequence[Check],
    facts: RunFacts,
    *,
    sample: Callable[[str], bool],
) -> Judged:
    """Judge ``exchange`` with each of ``checks`` (one at a time, so each is timed)."""
    if exchange.status is None:
        return Judged({}, (), {}, error=exchange.error or "no response")
    refusal = refusal_of(exchange)
    if refusal is not None:
        # Only its envelope is judged, as `run` judges a 429 kept after the retries.
        checks = [c for c in checks if c.judges_refusals]
    statuses: dict[str, str] = {}
    failures: list[Failure] = []
    seconds: dict[str, float] = {}
    skipped: list[str] = []
    for check in checks:
        if exchange.stream is not None and check.id in SAMPLED and not sample(check.id):
            skipped.append(check.id)
            continue
        started = time.perf_counter()
        result = judge_case(case, exchange, [check], facts)
        seconds[check.id] = time.perf_counter() - started
        statuses.update(result.checks)
        failures.extend(result.failures)
    return Judged(
        statuses,
        tuple(failures),
        seconds,
        tuple(skipped),
        refusal=refusal,
        tokens=None if refusal is not None else tokens_of(exchange),
    )


def refusal_of(exchange: Exchange) -> Refusal | None:
    """The documented refusal a 429 is (its envelope names a capacity code), else None."""
    if exchange.status != 429:
        return None
    documented = documented_refusal(429, ())
    if documented is None:
        return None
    codes = [code for code in error_codes(exchange) if code in documented.codes]
    if not codes:
        return None
    return Refusal(codes[0], retry_after(exchange.headers.get("retry-after")))


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds when it is a number of seconds; None when absent or not a number.

    >>> retry_after("2"), retry_after(None), retry_after("soon")
    (2.0, None, None)
    """
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def tokens_of(exchange: Exchange) -> int | None:
    """Completion tokens: usage when reported, else a stream's JSON events before [DONE] (one token each)."""
    if exchange.status is None or not 200 <= exchange.status < 300:
        return None
    usage = reported_usage(exchange)
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if isinstance(completion, int) and not isinstance(completion, bool) and completion >= 0:
        return completion
    if exchange.stream is not None:
        count = 0
        for data in exchange.stream.events:
            if data == DONE:
                break
            count += 1
        return count
    return None
