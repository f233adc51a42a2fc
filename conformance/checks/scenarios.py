"""Built-in checks that need more than one request: authentication, determinism, stream agreement.

Each check names a plan that builds its scenarios from the run's seed, so a
run with the same seed sends the same scenarios.
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

_PROMPTS = (
    "Say hello in one short sentence.",
    "Name three colours.",
    "What is the capital of France?",
    "Count from one to five.",
    "Write a haiku about the sea.",
    "Give one synonym for 'quick'.",
)


def _rng(context: PlanContext, name: str) -> random.Random:
    return random.Random(context.seed ^ zlib.crc32(name.encode()))


def _texts(outcome: ScenarioOutcome, labels: tuple[str, ...]) -> list[str]:
    """The generated texts of every exchange; skipped when one has none (other checks report why)."""
    texts: list[str] = []
    for label, exchange in zip(labels, outcome.exchanges, strict=True):
        text = generated_text(exchange) if exchange.error is None and is_success(exchange) else None
        if text is None:
            got = exchange.error or f"status {exchange.status}"
            raise CheckSkipped(f"the {label} request of {outcome.scenario.id} produced no text ({got})")
        texts.append(text)
    return texts


def _same_text(outcome: ScenarioOutcome, labels: tuple[str, str], expected: str) -> None:
    first, second = _texts(outcome, labels)
    if first != second:
        raise CheckFailure(
            received=f"texts that differ at {first_difference(first, second)}",
            expected=expected,
            where=outcome.scenario.id,
        )


def _plan_auth(context: PlanContext) -> list[Scenario]:
    if not context.has_token:
        raise CheckSkipped(
            "the run has no token, so it cannot tell enforced auth from none: "
            "set CLOUDFLARE_API_TOKEN (or the variable --token-env names)"
        )
    body = {"prompt": _PROMPTS[0], "max_tokens": SCENARIO_MAX_TOKENS}
    requests = (ScenarioRequest(body, auth="none"), ScenarioRequest(body, auth="wrong"))
    return [Scenario("scenario/auth-enforced", "no token, then a wrong token", requests)]


@check(
    id="auth_enforced",
    severity="must",
    description="Requests without a token or with a wrong token are refused with 401 or 403.",
    clause="Request (Authorization: Bearer); Errors (10000 authentication error)",
    plan=_plan_auth,
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


def _repeat(context: PlanContext, name: str, label: str, extra: dict[str, Any]) -> list[Scenario]:
    rng = _rng(context, name)
    scenarios = []
    for index in range(max(1, context.count)):
        body: dict[str, Any] = {"prompt": rng.choice(_PROMPTS), "max_tokens": SCENARIO_MAX_TOKENS, **extra}
        if "seed" in body:
            body["seed"] = rng.randint(1, SEED_MAX)
        request = ScenarioRequest(body)
        scenarios.append(Scenario(f"scenario/{name}-{index + 1}", label, (request, request)))
    return scenarios


def _plan_same_seed(context: PlanContext) -> list[Scenario]:
    # Streaming takes its own code path in many servers: the seed must hold there too.
    return _repeat(context, "same-seed", "the same body with a seed, twice", {"seed": 0}) + _repeat(
        context, "same-seed-stream", "the same body with a seed, streamed twice", {"seed": 0, "stream": True}
    )


@check(
    id="same_seed_same_text",
    severity="should",
    description="The same body with the same seed gives the same text.",
    clause="Input schema: seed",
    plan=_plan_same_seed,
)
def same_seed_same_text(outcome: ScenarioOutcome) -> None:
    _same_text(outcome, ("first", "second"), "the same text for the same seed and parameters")


def _plan_temperature_zero(context: PlanContext) -> list[Scenario]:
    return _repeat(context, "temperature-zero", "the same body at temperature 0, twice", {"temperature": 0})


@check(
    id="temperature_zero_deterministic",
    severity="should",
    description="Temperature 0 gives the same text twice.",
    clause="Input schema: temperature",
    plan=_plan_temperature_zero,
)
def temperature_zero_deterministic(outcome: ScenarioOutcome) -> None:
    _same_text(outcome, ("first", "second"), "the same text twice at temperature 0 (greedy decoding)")


def _plan_stream_agreement(context: PlanContext) -> list[Scenario]:
    rng = _rng(context, "stream-agreement")
    scenarios = []
    for index in range(max(1, context.count)):
        body = {
            "prompt": rng.choice(_PROMPTS),
            "max_tokens": SCENARIO_MAX_TOKENS,
            "seed": rng.randint(1, SEED_MAX),
        }
        requests = (ScenarioRequest(body), ScenarioRequest({**body, "stream": True}))
        scenarios.append(
            Scenario(
                f"scenario/stream-agreement-{index + 1}",
                "the same body with a seed, not streamed and streamed",
                requests,
            )
        )
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
        outcome, ("non-streamed", "streamed"), "the streamed pieces joined to equal the non-streamed response"
    )
