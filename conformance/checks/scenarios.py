"""Built-in checks that need more than one request: authentication, determinism, stream agreement.

Each check names a plan that builds its scenarios from the run's seed, so a
run with the same seed sends the same scenarios.

A check that compares two answers sends each pair in both orders, alone (an
exclusive scenario): back-to-back, with nothing between the two requests, and
interleaved, with another pair's request between them. A server that keeps
state across requests breaks in one order and not the other, and the failure
names the order that broke.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

from conformance.checks._registry import CheckFailure, CheckSkipped, check
from conformance.checks.reading import first_difference, generated_text, is_success, rate_limited
from conformance.checks.subjects import PlanContext, Scenario, ScenarioOutcome, ScenarioRequest
from conformance.contract import SEED_MAX

SCENARIO_MAX_TOKENS = 16
"""Scenarios compare texts, not lengths: short answers keep them fast against a real model."""

PROMPTS = (
    "Say hello in one short sentence.",
    "Name three colours.",
    "What is the capital of France?",
    "Count from one to five.",
    "Write a haiku about the sea.",
    "Give one synonym for 'quick'.",
)


def plan_rng(context: PlanContext, name: str) -> random.Random:
    """The random draws of one plan: the run's seed and the plan's name, so plans do not share draws."""
    return random.Random(context.seed ^ zlib.crc32(name.encode()))


def _texts(outcome: ScenarioOutcome) -> list[str]:
    """The generated texts of every exchange; skipped when one has none (other checks report why)."""
    texts: list[str] = []
    for number, exchange in enumerate(outcome.exchanges, start=1):
        text = generated_text(exchange) if exchange.error is None and is_success(exchange) else None
        if text is None:
            got = exchange.error or f"status {exchange.status}"
            raise CheckSkipped(f"request {number} of {outcome.scenario.id} produced no text ({got})")
        texts.append(text)
    return texts


BACK_TO_BACK = "back-to-back"
INTERLEAVED = "interleaved"
_ORDERS = {
    BACK_TO_BACK: "back-to-back, with nothing else in flight",
    INTERLEAVED: "interleaved, with another pair's request between them",
}

_PAIR_SEQUENCE = ("p1", "p2", "q2", "p2", "q1", "q2")
"""How a scenario of two pairs P and Q sends them: first and second request of each pair.

Each pair is compared once back-to-back and once interleaved, and never
through the second answer of a back-to-back comparison, so a state that one
order leaves behind cannot spoil the other order's comparison.
"""

_COMPARED = ((BACK_TO_BACK, 0, 1), (INTERLEAVED, 0, 3), (INTERLEAVED, 2, 4), (BACK_TO_BACK, 4, 5))
"""The exchanges of `_PAIR_SEQUENCE` compared, by index, and the order each comparison stands for."""


def _pair_scenario(scenario_id: str, label: str, pairs: tuple[tuple[Any, Any], tuple[Any, Any]]) -> Scenario:
    """Two pairs of bodies whose answers must agree, sent in both orders with nothing else in flight."""
    (p1, p2), (q1, q2) = pairs
    bodies = {"p1": p1, "p2": p2, "q1": q1, "q2": q2}
    requests = tuple(ScenarioRequest(bodies[role]) for role in _PAIR_SEQUENCE)
    return Scenario(scenario_id, label, requests, exclusive=True)


def _same_text(outcome: ScenarioOutcome, expected: str) -> None:
    texts = _texts(outcome)
    # A recording made before the orders existed holds one pair, sent as the run then sent it.
    compared = _COMPARED if len(texts) == len(_PAIR_SEQUENCE) else (("", 0, 1),)
    differ: dict[str, list[str]] = {}
    for order, first, second in compared:
        if texts[first] != texts[second]:
            differ.setdefault(order, []).append(first_difference(texts[first], texts[second]))
    if not differ:
        return
    received = [
        f"texts that differ when the two requests were sent {_ORDERS[order]} "
        f"({len(found)} of {sum(o == order for o, _, _ in compared)} pairs; the first at {found[0]})"
        if order
        else f"texts that differ at {found[0]}"
        for order, found in differ.items()
    ]
    held = [how for order, how in _ORDERS.items() if order not in differ and compared is _COMPARED]
    received += [f"the same texts when sent {how}" for how in held]
    raise CheckFailure(received="; ".join(received), expected=expected, where=outcome.scenario.id)


def _scenario_count(context: PlanContext) -> int:
    """How many scenarios of two pairs give at least the profile's count of pairs."""
    return max(1, (context.count + 1) // 2)


def _plan_auth(context: PlanContext) -> list[Scenario]:
    if not context.has_token:
        raise CheckSkipped(
            "the run has no token, so it cannot tell enforced auth from none: "
            "set CLOUDFLARE_API_TOKEN (or the variable --token-env names)"
        )
    body = {"prompt": PROMPTS[0], "max_tokens": SCENARIO_MAX_TOKENS}
    requests = (ScenarioRequest(body, auth="none"), ScenarioRequest(body, auth="wrong"))
    return [Scenario("scenario/auth-enforced", "no token, then a wrong token", requests)]


@check(
    id="auth_enforced",
    severity="must",
    description="Requests without a token or with a wrong token are refused with 401 or 403.",
    clause="Request (Authorization: Bearer); Errors (10000 authentication error)",
    plan=_plan_auth,
    fails_auth_on_purpose=True,  # without a token, then with a wrong one
)
def auth_enforced(outcome: ScenarioOutcome) -> None:
    for label, exchange in zip(("without a token", "with a wrong token"), outcome.exchanges, strict=True):
        if rate_limited(exchange):
            # Out of capacity before auth: nothing is known about auth yet.
            raise CheckSkipped(f"the request {label} was still 429 after {exchange.retries} retries")
        got = exchange.error or str(exchange.status)
        if exchange.status not in (401, 403):
            raise CheckFailure(
                received=f"{got} for a request {label}", expected="401 or 403", where=outcome.scenario.id
            )


def _bodies(rng: random.Random, extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Two bodies with different prompts (and seeds, when ``extra`` has one): a pair each."""
    bodies = []
    for prompt in rng.sample(PROMPTS, 2):
        body: dict[str, Any] = {"prompt": prompt, "max_tokens": SCENARIO_MAX_TOKENS, **extra}
        if "seed" in body:
            body["seed"] = rng.randint(1, SEED_MAX)
        bodies.append(body)
    return bodies


def _repeat(context: PlanContext, name: str, label: str, extra: dict[str, Any]) -> list[Scenario]:
    rng = plan_rng(context, name)
    scenarios = []
    for index in range(_scenario_count(context)):
        p, q = _bodies(rng, extra)
        scenarios.append(_pair_scenario(f"scenario/{name}-{index + 1}", label, ((p, p), (q, q))))
    return scenarios


_BOTH_ORDERS = "each compared back-to-back and interleaved, alone"


def _plan_same_seed(context: PlanContext) -> list[Scenario]:
    # Streaming takes its own code path in many servers: the seed must hold there too.
    return _repeat(context, "same-seed", f"two bodies with a seed, {_BOTH_ORDERS}", {"seed": 0}) + _repeat(
        context,
        "same-seed-stream",
        f"two streamed bodies with a seed, {_BOTH_ORDERS}",
        {"seed": 0, "stream": True},
    )


@check(
    id="same_seed_same_text",
    severity="should",
    description="The same body with the same seed gives the same text.",
    clause="Input schema: seed",
    plan=_plan_same_seed,
)
def same_seed_same_text(outcome: ScenarioOutcome) -> None:
    _same_text(outcome, "the same text for the same seed and parameters, whatever was sent before")


def _plan_temperature_zero(context: PlanContext) -> list[Scenario]:
    return _repeat(
        context, "temperature-zero", f"two bodies at temperature 0, {_BOTH_ORDERS}", {"temperature": 0}
    )


@check(
    id="temperature_zero_deterministic",
    severity="should",
    description="Temperature 0 gives the same text twice.",
    clause="Input schema: temperature",
    plan=_plan_temperature_zero,
)
def temperature_zero_deterministic(outcome: ScenarioOutcome) -> None:
    _same_text(outcome, "the same text twice at temperature 0 (greedy decoding), whatever was sent before")


def _plan_stream_agreement(context: PlanContext) -> list[Scenario]:
    rng = plan_rng(context, "stream-agreement")
    scenarios = []
    label = "two bodies with a seed, each not streamed then streamed, back-to-back and interleaved, alone"
    for index in range(_scenario_count(context)):
        p, q = _bodies(rng, {"seed": 0})
        pairs = ((p, {**p, "stream": True}), (q, {**q, "stream": True}))
        scenarios.append(_pair_scenario(f"scenario/stream-agreement-{index + 1}", label, pairs))
    return scenarios


@check(
    id="stream_matches_non_stream",
    severity="should",
    description="Streamed and non-streamed responses to the same body and seed carry the same text.",
    clause="Streaming response; Input schema: seed, stream",
    plan=_plan_stream_agreement,
)
def stream_matches_non_stream(outcome: ScenarioOutcome) -> None:
    _same_text(
        outcome,
        "the streamed pieces joined to equal the non-streamed response, whatever was sent before",
    )
