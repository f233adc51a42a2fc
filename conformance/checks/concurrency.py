"""Answers that must not change when requests run at once: each request keeps its own tokens and parameters.

A batching server generates the requests in flight together as one batch.
Done wrong, one generator serves the whole batch (the tokens of concurrent
requests mix) or one request's seed, temperature or max_tokens applies to
another. The scenario sends two seeded bodies that differ in every such
parameter, streamed and not, each alone twice (its own determinism), then
``--concurrency`` of them at once, and compares every answer given at once
with the same body's answer alone.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks._registry import CheckFailure, CheckSkipped, check
from conformance.checks.reading import first_difference, generated_text, is_success, snippet
from conformance.checks.scenarios import PROMPTS, SCENARIO_MAX_TOKENS, plan_rng
from conformance.checks.subjects import PlanContext, Scenario, ScenarioOutcome, ScenarioRequest
from conformance.contract import SEED_MAX

LONE_ROUNDS = 2
"""How often each body is sent alone: twice, to know whether it is deterministic on its own."""

TEXT_CHARS = 200
"""How much of each text a failure message quotes."""


def _bodies(context: PlanContext, index: int) -> list[dict[str, Any]]:
    """The kinds of request a wave cycles through: two bodies that differ in every sampling parameter."""
    rng = plan_rng(context, f"concurrent-{index}")
    first, second = (
        {"prompt": prompt, "seed": rng.randint(1, SEED_MAX), "temperature": temperature, "max_tokens": tokens}
        for prompt, temperature, tokens in zip(
            rng.sample(PROMPTS, 2), (0.6, 1.2), (SCENARIO_MAX_TOKENS, SCENARIO_MAX_TOKENS // 2), strict=True
        )
    )
    # In this order a wave of two already holds both bodies and both ways of answering.
    return [first, {**second, "stream": True}, second, {**first, "stream": True}]


def _plan(context: PlanContext) -> list[Scenario]:
    at_once = context.concurrency
    if at_once < 2:
        raise CheckSkipped(
            f"--concurrency {at_once} sends one request at a time, so no answer is given beside another: "
            "run with --concurrency 2 or more"
        )
    scenarios = []
    for index in range(max(1, context.count // 2)):
        kinds = _bodies(context, index)
        alone = [ScenarioRequest(body) for body in kinds[:at_once]] * LONE_ROUNDS
        wave = [ScenarioRequest(kinds[k % len(kinds)], wave=1) for k in range(at_once)]
        label = f"two seeded bodies, streamed and not, each alone {LONE_ROUNDS} times, then {at_once} at once"
        scenarios.append(Scenario(f"scenario/concurrent-{index + 1}", label, (*alone, *wave), exclusive=True))
    return scenarios


def _text(outcome: ScenarioOutcome, index: int) -> str | None:
    exchange = outcome.exchanges[index]
    return generated_text(exchange) if exchange.error is None and is_success(exchange) else None


def _describe(body: dict[str, Any]) -> str:
    how = "streamed" if body.get("stream") is True else "not streamed"
    return f"the body with seed {body.get('seed')} ({how})"


def _key(body: Any) -> str:
    return json.dumps(body, sort_keys=True)


@check(
    id="concurrent_answers_unchanged",
    severity="must",
    description=(
        "A seeded request gets the same text alone and with other requests in flight at once, "
        "streamed or not: a batch neither mixes the tokens of its requests nor shares their parameters."
    ),
    clause="Input schema: seed (reproducibility of the generation), temperature, max_tokens",
    plan=_plan,
)
def concurrent_answers_unchanged(outcome: ScenarioOutcome) -> None:
    requests = outcome.scenario.requests
    alone: dict[str, str] = {}
    for index, request in enumerate(requests):
        if request.wave:
            continue
        text = _text(outcome, index)
        if text is None:
            exchange = outcome.exchanges[index]
            got = exchange.error or f"status {exchange.status}"
            where = f"request {index + 1} of {outcome.scenario.id}"
            raise CheckSkipped(f"{where}, sent alone, produced no text ({got})")
        before = alone.setdefault(_key(request.body), text)
        if before != text:
            raise CheckSkipped(
                f"not judged: {_describe(request.body)} sent alone twice got two texts "
                f"(they differ at {first_difference(before, text)}), so no difference can be blamed on "
                "concurrency; same_seed_same_text judges determinism"
            )
    together = [(i, r) for i, r in enumerate(requests) if r.wave]
    answered = [(i, r, t) for i, r in together if (t := _text(outcome, i)) is not None]
    if not answered:
        raise CheckSkipped(f"none of the {len(together)} requests sent at once produced text")
    changed = [(r, t) for _, r, t in answered if t != alone[_key(r.body)]]
    if changed:
        request, text = changed[0]
        before = alone[_key(request.body)]
        raise CheckFailure(
            received=(
                f"answers change when requests run concurrently: {len(changed)} of {len(answered)} answers "
                f"given with {len(together)} requests in flight differ from the same body's answer alone; "
                f"{_describe(request.body)} alone: {snippet(before, TEXT_CHARS)}; "
                f"at once: {snippet(text, TEXT_CHARS)} (they differ at {first_difference(before, text)})"
            ),
            expected="the same text for the same body and seed, alone or beside other requests",
            where=outcome.scenario.id,
        )
