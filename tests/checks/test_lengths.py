"""The length search on its own: for any cap, the follow-ups find it exactly within the bound.

The server here is a function of the body (refuse above a cap, counted one
way), so every cap can be tried in milliseconds; `tests/checks/test_checks.py`
drives the same check over real HTTP against the fake server's faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import CheckFailure, ScenarioOutcome
from conformance.checks.lengths import _follow_up, _plan, length_counts_code_points
from conformance.checks.subjects import MAX_FOLLOW_UPS, PlanContext, Scenario
from conformance.transport import Exchange

Count = Callable[[str], int]

CODE_POINTS: Count = len


def utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def answer(body: Any, cap: int, count: Count) -> Exchange:
    text = body["prompt"] if "prompt" in body else body["messages"][0]["content"]
    status = 200 if count(text) <= cap else 400
    return Exchange("POST", "http://x", {}, body, status=status)


def converse(scenario: Scenario, cap: int, count: Count) -> ScenarioOutcome:
    exchanges = [answer(r.body, cap, count) for r in scenario.requests]
    while len(exchanges) < len(scenario.requests) + MAX_FOLLOW_UPS:
        more = _follow_up(scenario, tuple(exchanges))
        if more is None:
            break
        exchanges.append(answer(more.body, cap, count))
    return ScenarioOutcome(scenario, tuple(exchanges))


PROMPT = _plan(PlanContext(seed=1))[0]


def test_a_server_counting_code_points_passes_with_no_follow_up() -> None:
    outcome = converse(PROMPT, 131072, CODE_POINTS)
    assert len(outcome.exchanges) == 4
    length_counts_code_points(outcome)


@pytest.mark.parametrize("cap", [1, 2, 1000, 32768, 65535, 65536, 100000, 131071])
def test_any_cap_is_found_exactly_within_the_bound(cap: int) -> None:
    outcome = converse(PROMPT, cap, CODE_POINTS)
    with pytest.raises(CheckFailure) as info:
        length_counts_code_points(outcome)
    assert f"accepts up to {cap} code points of ASCII characters; the schema allows 131072" in str(info.value)
    assert len(outcome.exchanges) - 4 <= MAX_FOLLOW_UPS


@pytest.mark.parametrize(
    ("count", "words", "follow_ups"),
    [(utf8, "counts UTF-8 bytes", 2), (utf16, "counts UTF-16 units", 4)],
)
def test_a_byte_or_utf16_count_is_named_in_a_few_requests(count: Count, words: str, follow_ups: int) -> None:
    outcome = converse(PROMPT, 131072, count)
    with pytest.raises(CheckFailure, match=words):
        length_counts_code_points(outcome)
    assert len(outcome.exchanges) - 4 == follow_ups


def test_a_documented_413_is_no_failure_and_starts_no_search() -> None:
    exchanges = tuple(
        Exchange("POST", "http://x", {}, r.body, status=413 if i == 3 else 200)
        for i, r in enumerate(PROMPT.requests)
    )
    assert _follow_up(PROMPT, exchanges) is None
    length_counts_code_points(ScenarioOutcome(PROMPT, exchanges))
