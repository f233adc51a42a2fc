"""Errors beyond the body: an unknown model, and the error envelope on every error status a server sends.

Single cases only ever reach the run's own path with the run's token, so they
see 400s and little else. These scenarios go where the other statuses live:
no token and a wrong token (401/403: servers often answer the two
differently), an account that does not exist (404), a model that does not
exist (400 with 5007), an adapter (405 where LoRA is unsupported), a body over
any server's limit (413, or a 429 from a server that sheds large bodies), and
judge every error answer's envelope, a 429 the client gave up retrying
included.
"""

from __future__ import annotations

from typing import Any

from conformance.checks._registry import CheckFailure, CheckSkipped, check
from conformance.checks.reading import answers, error_codes, rate_limited, retry_after_problem, snippet
from conformance.checks.subjects import PlanContext, Route, Scenario, ScenarioOutcome, ScenarioRequest
from conformance.contract import MAX_CONTENT_CHARS, ErrorCode, error_envelope_validator
from conformance.transport import Exchange

UNKNOWN_MODEL = "@cf/conformance/no-such-model"
"""A model name no Workers AI implementation serves."""

UNKNOWN_ACCOUNT = "conformance-no-such-account"

OVERSIZED_PROMPT_CHARS = 9 * 1024 * 1024
"""A prompt over 9 MiB: beyond the schema's maxLength and above any body limit a server sets."""

_HELLO = {"prompt": "Hello", "max_tokens": 1}


def _plan_unknown_model(context: PlanContext) -> list[Scenario]:
    request = ScenarioRequest(_HELLO, route=Route(model=UNKNOWN_MODEL))
    return [Scenario("scenario/unknown-model", f"a valid body sent to the model {UNKNOWN_MODEL}", (request,))]


@check(
    id="unknown_model_rejected",
    severity="must",
    description="A request for a model the server does not serve gets 400 with code 5007.",
    clause="Errors (5007 no such model or task is a 400)",
    plan=_plan_unknown_model,
)
def unknown_model_rejected(outcome: ScenarioOutcome) -> None:
    exchange = outcome.exchanges[0]
    if exchange.status is None:
        raise CheckSkipped(f"the request of {outcome.scenario.id} got no answer ({exchange.error})")
    if rate_limited(exchange):
        raise CheckSkipped(
            f"the request of {outcome.scenario.id} was still 429 after {exchange.retries} retries"
        )
    codes = error_codes(exchange)
    # A 400 whose codes cannot be read is the envelope checks' to report, not this one's.
    if exchange.status != 400 or (codes and ErrorCode.NO_SUCH_MODEL not in codes):
        got = (
            f"{exchange.status} with code(s) {codes}" if codes else f"{exchange.status} without an error code"
        )
        raise CheckFailure(
            received=got,
            expected=f"400 with code {ErrorCode.NO_SUCH_MODEL.value} (no such model or task)",
            where=f"{outcome.scenario.id}: POST {exchange.url}",
        )


def _provocations(has_token: bool) -> tuple[ScenarioRequest, ...]:
    """Requests that draw the error statuses a server has: 401/403 twice, 404, 400, 405 (or a 2xx), 413."""
    # Built when planned, not at import: the oversized prompt is 9 MiB.
    oversized = {"prompt": "a" * OVERSIZED_PROMPT_CHARS, "max_tokens": 1}
    requests = (
        ScenarioRequest(_HELLO, auth="none"),
        ScenarioRequest(_HELLO, auth="wrong"),
        ScenarioRequest(_HELLO, route=Route(account=UNKNOWN_ACCOUNT)),
        ScenarioRequest(_HELLO, route=Route(model=UNKNOWN_MODEL)),
        ScenarioRequest({"prompt": ""}),
        ScenarioRequest({**_HELLO, "lora": "conformance-no-such-adapter"}),
        ScenarioRequest(oversized),
    )
    # Without a run token every request is unauthenticated: the auth provocations would add nothing.
    return tuple(r for r in requests if has_token or r.auth == "token")


def _described(request: ScenarioRequest) -> str:
    """What a provocation is, read off the request itself, so a replayed one reads the same."""
    body = request.body if isinstance(request.body, dict) else {}
    if request.auth == "none":
        return "without a token"
    if request.auth == "wrong":
        return "with a wrong token"
    if request.route is not None and request.route.account is not None:
        return "to an account that does not exist"
    if request.route is not None and request.route.model is not None:
        return "to a model that does not exist"
    if "lora" in body:
        return "naming a LoRA adapter"
    if len(str(body.get("prompt", ""))) > MAX_CONTENT_CHARS:
        return "of more than 9 MiB"
    return "with a schema-invalid body"


def _plan_envelopes(context: PlanContext) -> list[Scenario]:
    requests = _provocations(context.has_token)
    label = "requests that draw each error status: " + ", ".join(map(_described, requests))
    return [Scenario("scenario/error-statuses", label, requests)]


@check(
    id="error_envelope_on_every_status",
    severity="must",
    description="Every error status the server sends (401, 403, 404, 405, 413, 429 as well as 400) carries "
    "the error envelope, with code an integer and message a string.",
    clause="Errors",
    plan=_plan_envelopes,
)
def error_envelope_on_every_status(outcome: ScenarioOutcome) -> None:
    validator = error_envelope_validator()
    for request, last in zip(outcome.scenario.requests, outcome.exchanges, strict=False):
        for exchange in answers(last):
            if exchange.status is None or exchange.status // 100 != 4:
                continue
            _judge_error_answer(outcome, request, exchange, last, validator)


def _judge_error_answer(
    outcome: ScenarioOutcome, request: ScenarioRequest, exchange: Exchange, last: Exchange, validator: Any
) -> None:
    expected = (
        f"the error envelope on a {exchange.status}: success false and a non-empty "
        "errors array of {code: integer, message: string}"
    )
    # A 429 the client retried away is judged as well as the answer a caller is left with.
    if exchange is not last:
        retried = " (an answer the client retried)"
    else:
        retried = f" (after {exchange.retries} retries)" if exchange.retries else ""
    said = f"{exchange.status}{retried} for a request {_described(request)}"
    try:
        body = exchange.json()
    except ValueError:
        raise CheckFailure(
            received=f"{said}: a {exchange.content_type or 'untyped'} body that is not JSON, "
            f"{snippet(exchange.text)}",
            expected=expected,
            where=f"{outcome.scenario.id}: POST {exchange.url}",
        ) from None
    violation = validator.explain(body)
    if violation is not None:
        raise CheckFailure(
            received=f"{said}: {violation.message}",
            expected=expected,
            where=f"{outcome.scenario.id}: {violation.where} of the answer to POST {exchange.url}",
        )
    problem = retry_after_problem(exchange)
    if problem is not None:
        raise CheckFailure(
            received=f"{said}: {problem}",
            expected="a 429 that says when to retry: Retry-After in seconds or as an HTTP date",
            where=f"{outcome.scenario.id}: POST {exchange.url}",
        )
