"""`concurrent_answers_unchanged`: its plan, its verdicts on made-up answers, and runs over loopback.

`tests/checks/test_checks.py` proves it fails on both batching fake servers; here:
what it sends for each ``--concurrency``, that a failure quotes both texts
(bounded), that a server not deterministic alone is not judged, and that
conformant servers at several concurrencies pass.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conformance.checks import CheckFailure, CheckSkipped, PlanContext, Scenario, ScenarioOutcome
from conformance.checks.concurrency import LONE_ROUNDS, _plan, concurrent_answers_unchanged
from conformance.runner import RunConfig, RunFinished, RunResult, run
from conformance.transport import Exchange
from support.fake_server import fake_server
from support.samples import TOKEN, small_cases

CHECK = "concurrent_answers_unchanged"


@pytest.mark.parametrize("at_once", [2, 3, 4, 9])
def test_the_plan_sends_each_kind_alone_twice_then_concurrency_requests_at_once(at_once: int) -> None:
    (scenario,) = _plan(PlanContext(seed=1, count=1, concurrency=at_once))
    assert scenario.exclusive and scenario.id == "scenario/concurrent-1"
    alone = [r for r in scenario.requests if not r.wave]
    wave = [r for r in scenario.requests if r.wave]
    assert scenario.requests == (*alone, *wave)  # alone first, then the wave
    assert len(wave) == at_once and len({r.wave for r in wave}) == 1
    kinds = {json.dumps(r.body, sort_keys=True) for r in wave}
    assert len(alone) == LONE_ROUNDS * len(kinds)
    assert all(sum(r.body == a.body for a in alone) == LONE_ROUNDS for r in wave)
    # Both bodies and both ways of answering, from a wave of two on.
    assert {r.body.get("stream", False) for r in wave} == {False, True}
    seeds = {r.body["seed"] for r in wave}
    assert len(seeds) == 2
    first, second = ({k: v for k, v in r.body.items() if k != "stream"} for r in alone[:2])
    assert all(first[k] != second[k] for k in ("prompt", "seed", "temperature", "max_tokens"))


def test_the_plan_is_the_same_for_a_seed_and_grows_with_the_profile() -> None:
    assert _plan(PlanContext(seed=4, count=2)) == _plan(PlanContext(seed=4, count=2))
    assert _plan(PlanContext(seed=4, count=2)) != _plan(PlanContext(seed=5, count=2))
    assert [len(_plan(PlanContext(seed=4, count=n))) for n in (1, 2, 5)] == [1, 1, 2]


def test_one_request_at_a_time_is_not_judged_and_says_how_to_judge_it() -> None:
    with pytest.raises(CheckSkipped) as info:
        _plan(PlanContext(seed=1, concurrency=1))
    assert info.value.reason.startswith("--concurrency 1 sends one request at a time")
    assert info.value.reason.endswith("run with --concurrency 2 or more")


def _said(body: Any, text: str | None, status: int = 200) -> Exchange:
    if text is None:
        payload = {"success": False, "errors": [{"code": 3040, "message": "busy"}], "result": {}}
        return Exchange("POST", "http://x/run", {}, body, status=429, body=json.dumps(payload).encode())
    envelope = {"success": True, "errors": [], "result": {"response": text}}
    return Exchange("POST", "http://x/run", {}, body, status=status, body=json.dumps(envelope).encode())


def _outcome(scenario: Scenario, answer: Any) -> ScenarioOutcome:
    """Each request answered with ``answer(index, body)``, as plain JSON (the check reads text only)."""
    exchanges = tuple(_said(r.body, answer(i, r.body)) for i, r in enumerate(scenario.requests))
    return ScenarioOutcome(scenario, exchanges)


def _own_text(body: Any) -> str:
    return f"text of seed {body['seed']} " * 3


SCENARIO = _plan(PlanContext(seed=1, concurrency=4))[0]
WAVE_START = next(i for i, r in enumerate(SCENARIO.requests) if r.wave)


def test_the_same_answers_alone_and_at_once_pass() -> None:
    concurrent_answers_unchanged(_outcome(SCENARIO, lambda i, body: _own_text(body)))


def test_an_answer_changed_at_once_fails_with_both_texts_bounded() -> None:
    long_alone, long_mixed = "a" * 5000, "a" * 300 + "b" * 4700

    def answer(index: int, body: Any) -> str:
        if index == WAVE_START + 1:
            return long_mixed
        return long_alone if body == SCENARIO.requests[WAVE_START + 1].body else _own_text(body)

    with pytest.raises(CheckFailure) as info:
        concurrent_answers_unchanged(_outcome(SCENARIO, answer))
    message = str(info.value)
    assert message.startswith("Received: answers change when requests run concurrently: 1 of 4 answers")
    assert "given with 4 requests in flight differ from the same body's answer alone" in message
    assert f"alone: '{'a' * 200}...'" in message and f"at once: '{'a' * 200}...'" in message
    assert "they differ at character 300" in message
    assert "\nExpected: the same text for the same body and seed, alone or beside other requests" in message
    assert message.endswith("\nWhere: scenario/concurrent-1") and len(message) < 1500


def test_answers_that_differ_alone_are_not_judged_and_say_why() -> None:
    seen: dict[str, int] = {}

    def answer(index: int, body: Any) -> str:
        key = json.dumps(body, sort_keys=True)
        seen[key] = seen.get(key, 0) + 1
        return f"{_own_text(body)} take {seen[key]}"

    with pytest.raises(CheckSkipped) as info:
        concurrent_answers_unchanged(_outcome(SCENARIO, answer))
    expected = r"not judged: the body with seed \d+ \(not streamed\) sent alone twice got two texts"
    assert re.match(expected, info.value.reason)


def test_answers_refused_at_once_are_left_out_and_none_left_is_not_judged() -> None:
    def some_refused(index: int, body: Any) -> str | None:
        return None if index == WAVE_START else _own_text(body)

    concurrent_answers_unchanged(_outcome(SCENARIO, some_refused))
    with pytest.raises(CheckSkipped, match="none of the 4 requests sent at once produced text"):
        concurrent_answers_unchanged(
            _outcome(SCENARIO, lambda i, body: None if i >= WAVE_START else _own_text(body))
        )


def _run(faults: set[str], concurrency: int) -> RunResult:
    with fake_server(faults, token=TOKEN) as url:
        config = RunConfig(
            base_url=url,
            account_id="X",
            token=TOKEN,
            seed=2,
            profile="smoke",
            concurrency=concurrency,
            cases=small_cases(),
            checks=(CHECK,),
        )
        final = list(run(config))[-1]
    assert isinstance(final, RunFinished)
    return final.result


def _status(result: RunResult) -> tuple[str, str | None]:
    found = next(c for c in result.checks if c.check.id == CHECK)
    return found.status, found.skip_reason


@pytest.mark.parametrize("concurrency", [2, 8])
def test_conformant_servers_pass_at_any_concurrency(concurrency: int) -> None:
    result = _run(set(), concurrency)
    assert _status(result) == ("passed", None), [f.message for f in result.failures]
    (scenario,) = [r for r in result.cases if r.item.id == "scenario/concurrent-1"]
    assert sum(1 for r in scenario.item.requests if r.wave) == concurrency


def test_a_server_not_deterministic_alone_is_not_judged_over_http() -> None:
    status, reason = _status(_run({"nondeterministic"}, 4))
    assert status == "skipped" and reason and "not judged" in reason and "sent alone twice" in reason


def test_a_batching_server_is_caught_at_the_smallest_concurrency() -> None:
    result = _run({"batch_leaks_parameters"}, 2)
    assert _status(result)[0] == "failed" and result.exit_code == 1
    (failure,) = result.failures
    assert "answers change when requests run concurrently" in failure.message
    assert "alone: '" in failure.message and "at once: '" in failure.message
