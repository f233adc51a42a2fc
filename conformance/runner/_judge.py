"""Judging, apart from sending: finished exchanges in, each check's status and failures out.

Nothing here sends, waits or writes: the driver (`_driver`) hands each case
or scenario over once its answers are in, and the same functions judge a
replay, another engine's exchanges (`conformance fuzz`) and a load test's.
What the runner needs to know of a check beyond its function it reads off
the check (``judges_refusals``, ``fails_auth_on_purpose``), never its id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from conformance.checks import (
    Check,
    CheckFailure,
    CheckSkipped,
    NotApplicable,
    Observation,
    RunFacts,
    Scenario,
    ScenarioOutcome,
)
from conformance.contract import MODEL, ErrorCode
from conformance.contract.bounded_json import read_json
from conformance.generation import Case
from conformance.runner.results import CaseOutcome, CaseResult, CheckStatus, Failure
from conformance.transport import NOT_HTTP, Exchange


def judge_case(case: Case, exchange: Exchange, checks: Sequence[Check], facts: RunFacts) -> CaseResult:
    """Every exchange check on one case's exchange."""
    if exchange.error is not None and exchange.status is None:
        return CaseResult(case, "error", {}, (), (exchange,), error=exchange.error)
    if exchange.status == 429 and exchange.retries:
        # Out of capacity is a documented refusal: it says nothing about the
        # property the case exercises, so the case cannot be judged. The 429
        # itself can: a broken envelope on it fails the case.
        judged = _judge_each(case, exchange, [c for c in checks if c.judges_refusals], facts)
        if judged.failures:
            return judged
        error = f"rate limited: still 429 after {exchange.retries} retries"
        return CaseResult(case, "error", {}, (), (exchange,), error=error)
    return _judge_each(case, exchange, checks, facts)


def _judge_each(case: Case, exchange: Exchange, checks: Sequence[Check], facts: RunFacts) -> CaseResult:
    observation = Observation(case, exchange, facts)
    statuses: dict[str, CheckStatus] = {}
    failures: list[Failure] = []
    skips: list[Failure] = []
    for check in checks:
        status, note = _apply(check, observation, case.id)
        if status is not None:
            statuses[check.id] = status
        if note is not None:
            (skips if status == "skipped" else failures).append(note)
    return CaseResult(case, outcome(statuses), statuses, tuple(failures), (exchange,), skips=tuple(skips))


def judge_scenario(
    scenario: Scenario, exchanges: tuple[Exchange, ...], check: Check | None, facts: RunFacts
) -> CaseResult:
    """A scenario's own check on its exchanges."""
    if check is None:
        return CaseResult(
            scenario, "error", {}, (), exchanges, error="no selected check judges this scenario"
        )
    if all(e.status is None for e in exchanges):
        return CaseResult(scenario, "error", {}, (), exchanges, error=exchanges[0].error)
    status, note = _apply(check, ScenarioOutcome(scenario, exchanges, facts), scenario.id)
    statuses: dict[str, CheckStatus] = {check.id: status} if status is not None else {}
    notes = (note,) if note is not None else ()
    if status == "skipped":
        return CaseResult(scenario, outcome(statuses), statuses, (), exchanges, skips=notes)
    return CaseResult(scenario, outcome(statuses), statuses, notes, exchanges)


def _apply(check: Check, subject: Any, case_id: str) -> tuple[CheckStatus | None, Failure | None]:
    """The check's status on one subject, with its failure or, for a skip, its reason."""
    try:
        check(subject)
    except NotApplicable:
        return None, None
    except CheckSkipped as exc:
        return "skipped", Failure(check.id, case_id, exc.reason, check.severity)
    except CheckFailure as exc:
        return "failed", Failure(check.id, case_id, str(exc), check.severity)
    except Exception as exc:  # a check's own bug must not end the run
        message = f"Received: the check raised {type(exc).__name__}: {exc}\nExpected: the check to finish"
        return "error", Failure(check.id, case_id, message, check.severity)
    return "passed", None


def outcome(statuses: dict[str, CheckStatus]) -> CaseOutcome:
    """A case's outcome from its checks' statuses: an error beats a failure beats a pass."""
    values = set(statuses.values())
    if "error" in values:
        return "error"
    return "failed" if "failed" in values else "passed"


def untestable_from_probe(exchange: Exchange, has_token: bool, *, this: str = "this run") -> str | None:
    """Why the answer to the first request says nothing can be judged (``this`` has no token...), or None.

    Read by every front end that probes (`run`, the pytest plugin, `conformance load`).
    """
    retired = model_not_served(exchange)
    if retired is not None:
        return retired
    if exchange.status is None:
        if exchange.error is not None and exchange.error.startswith(NOT_HTTP):
            # Garbage, TLS on a plain port, 10 000 headers: it answered, but nothing can be judged.
            return f"the target's answer to the first request was {exchange.error} (POST {exchange.url})"
        return f"the target is unreachable: {exchange.error} (POST {exchange.url})"
    if exchange.status in (401, 403):
        if has_token:
            return (
                f"the target refused the token with {exchange.status}: every request would fail auth; "
                "check the token and the account id"
            )
        return (
            f"the target requires a token (it answered {exchange.status}) and {this} has none: "
            "put it in CLOUDFLARE_API_TOKEN (or CLOUDFLARE_AUTH_TOKEN), or in the variable --token-env names"
        )
    return None


_NOT_SERVED = {
    ErrorCode.NO_SUCH_MODEL: "no such model or task",
    ErrorCode.MODEL_DEPRECATED: "model deprecated",
}
_NOT_SERVED_WORDS = re.compile(r"no such model|deprecated|decommissioned|retired", re.IGNORECASE)


def model_not_served(exchange: Exchange) -> str | None:
    """Why the probe says the run's model is not served (retired or unknown), or None.

    A retired model answers every request the same way; judging hundreds of
    those answers would bury the one fact that matters. Cloudflare answers an
    unknown model with 400 and code 5007, a deprecated one with code 5028
    ("This model was deprecated on ... Please use an alternative model").
    """
    if exchange.status is None or exchange.status // 100 != 4:
        return None
    try:
        body = read_json(exchange.body)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors if isinstance(errors, list) else ():
        code, message = (error.get("code"), error.get("message")) if isinstance(error, dict) else (None, None)
        known = next((c for c in _NOT_SERVED if str(code) == str(c.value)), None)
        if known is None and not (isinstance(message, str) and _NOT_SERVED_WORDS.search(message)):
            continue
        said = f"{exchange.status} with code {code}" + (f" ({_NOT_SERVED[known]})" if known else "")
        if isinstance(message, str):
            said += f", {message[:200]!r}"
        _, routed, model = exchange.url.partition("/ai/run/")
        model = unquote(model) if routed else "the run names"
        retired = f" Cloudflare deprecated {MODEL} on 2025-10-01." if model == MODEL else ""
        return (
            f"the target does not serve the model {model}: it answered the first request with {said}; "
            f"every request would get the same answer, so nothing was judged.{retired} "
            "Pass --model with a model the target serves (the same schema is published for "
            "@cf/meta/llama-2-7b-chat-fp16), or --base-url for an implementation of your own"
        )
    return None


def untestable_from_results(results: Sequence[CaseResult], checks: Sequence[Check]) -> str | None:
    """Why the answers say nothing could be judged (none came, or every one refused the token), or None.

    A check's scenarios that fail auth on purpose (``fails_auth_on_purpose``)
    are left out: their refusals say nothing about the run's token.
    """
    on_purpose = {c.id for c in checks if c.fails_auth_on_purpose}
    exchanges = [e for r in results if on_purpose.isdisjoint(r.checks) for e in r.exchanges]
    if not exchanges:
        return None
    if all(e.status is None for e in exchanges):
        return f"the target is unreachable: every request failed ({exchanges[0].error})"
    if all(e.status in (401, 403) for e in exchanges):
        return f"every request failed auth ({exchanges[0].status})"
    return None
