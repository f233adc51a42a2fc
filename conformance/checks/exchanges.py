"""Built-in checks that judge one case's exchange."""

from __future__ import annotations

from typing import Any

from conformance.checks._registry import CheckFailure, NotApplicable, check
from conformance.checks.reading import (
    answers,
    error_codes,
    generated_text,
    is_success,
    json_body,
    reported_usage,
    retry_after_problem,
    snippet,
)
from conformance.checks.subjects import Observation
from conformance.contract import (
    DEFAULT_MAX_TOKENS,
    ErrorCode,
    error_envelope_validator,
    refusals_for,
    schema_versions,
    stream_event_validator,
    success_envelope_validator,
    usage_validator,
)
from conformance.contract.bounded_json import read_json
from conformance.generation import Outcome
from conformance.transport import DONE

CHARS_PER_TOKEN_BOUND = 32
"""The most characters one generated token may account for when usage is not reported.

Deliberately generous: Llama-2's longest vocabulary pieces are 16 characters or
fewer, and detokenisation adds at most a space. A response longer than
``max_tokens * 32`` characters cannot have come from ``max_tokens`` tokens."""


def _expected_for(observation: Observation) -> str:
    case = observation.case
    if case.expect is Outcome.REJECT:
        if case.violates:
            pointer, keyword = case.violates
            return f"4xx for a body that violates {keyword} at {pointer or '/'}"
        return "4xx for a schema-invalid body"
    return "2xx for a schema-valid body"


@check(
    id="status_code_conformance",
    severity="must",
    description="Schema-valid bodies get a 2xx, schema-invalid ones a 4xx, and nothing gets a 5xx.",
    clause="Success response; Errors (5006 bad input is a 400)",
)
def status_code_conformance(observation: Observation) -> None:
    status = observation.exchange.status
    if status is None:
        raise NotApplicable
    expected = _expected_for(observation)
    if status >= 500:
        raise CheckFailure(received=str(status), expected=f"never a 5xx; {expected}")
    if observation.case.expect is Outcome.REJECT:
        if status // 100 != 4:
            raise CheckFailure(received=str(status), expected=expected)
        return
    if status // 100 == 2:
        return
    allowed = refusals_for(observation.case.tags)
    if any(r.status == status for r in allowed):
        return
    if allowed:
        expected += " (or " + " or ".join(f"{r.status} with code {r.codes[0]}, {r.reason}" for r in allowed)
        expected += ": a refusal the contract documents for such a body)"
    received = str(status)
    if status == 400 and ErrorCode.BAD_INPUT in error_codes(observation.exchange):
        received += (
            f" with code {ErrorCode.BAD_INPUT.value} (bad input), a claim that the body breaks the schema; "
            "it does not"
        )
    raise CheckFailure(received=received, expected=expected)


@check(
    id="content_type_conformance",
    severity="must",
    description="JSON responses are application/json; streamed successes are text/event-stream.",
    clause="Success response; Streaming response",
)
def content_type_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    if exchange.status is None or exchange.status >= 500:
        raise NotApplicable
    streamed = observation.case.stream and is_success(exchange)
    wanted = "text/event-stream" if streamed else "application/json"
    got = exchange.content_type
    if got != wanted:
        raise CheckFailure(
            received=f"Content-Type {exchange.headers.get('content-type')!r}",
            expected=f"{wanted} for a {exchange.status} response"
            + (" to a streamed request" if streamed else ""),
        )


@check(
    id="success_envelope_conformance",
    severity="must",
    description="A non-streamed success is {result, success: true, errors: [], messages}.",
    clause="Success response",
)
def success_envelope_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    if not is_success(exchange) or exchange.stream is not None:
        raise NotApplicable
    body = json_body(exchange)
    violation = success_envelope_validator().explain(body)
    if violation is not None:
        raise CheckFailure(
            received=violation.message,
            expected="the success envelope {result: object, success: true, errors: [], messages: array}",
            where=violation.where,
        )


@check(
    id="error_envelope_conformance",
    severity="must",
    description="Every 4xx carries {success: false, errors: [{code: integer, message: string}, ...]}, "
    "and a 429 says when to retry (Retry-After), even one the client retried.",
    clause="Errors",
    judges_refusals=True,  # a refusal's own envelope is still the contract's
)
def error_envelope_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    refusals = [a for a in answers(exchange) if a.status is not None and a.status // 100 == 4]
    if not refusals:
        raise NotApplicable
    for answer in refusals:
        # A 429 the client retried away is judged too: a server may refuse only under load.
        retried = answer is not exchange
        where = "an answer the client retried" if retried else ""
        try:
            body = json_body(answer)
        except CheckFailure as failure:
            if not retried:
                raise
            raise CheckFailure(received=failure.received, expected=failure.expected, where=where) from None
        violation = error_envelope_validator().explain(body)
        if violation is not None:
            raise CheckFailure(
                received=violation.message,
                expected=f"the error envelope on a {answer.status}: success false and a non-empty "
                "errors array of {code: integer, message: string}",
                where=f"{violation.where} of {where}" if where else violation.where,
            )
        problem = retry_after_problem(answer)
        if problem is not None:
            raise CheckFailure(
                received=f"a 429 with {problem}",
                expected="a 429 that says when to retry: Retry-After in seconds or as an HTTP date, "
                "beside the error envelope (code 3040, out of capacity)",
                where=where or None,
            )


@check(
    id="result_conformance",
    severity="must",
    description="A non-streamed success's result is valid against the output schema's object branch.",
    clause="Success response (output schema oneOf)",
)
def result_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    if not is_success(exchange) or exchange.stream is not None:
        raise NotApplicable
    body = json_body(exchange)
    if not isinstance(body, dict) or "result" not in body:
        raise NotApplicable  # the envelope check reports a missing result
    result: Any = body["result"]
    schema = observation.run.schema
    violation = schema.result_validator().explain(result)
    if violation is not None:
        raise CheckFailure(
            received=violation.message,
            expected=f"result valid against the output schema ({schema.name})",
            where="/result" + violation.pointer,
        )
    if not isinstance(result, dict):
        raise CheckFailure(
            received=f"result is {snippet(repr(result))}",
            expected="the output schema's object branch for a non-streamed request "
            "(the string branch is the event stream)",
            where="/result",
        )


@check(
    id="http_framing_conformance",
    severity="must",
    description="The response is framed as HTTP/1.1 requires: one length that matches the bytes sent "
    "(Content-Length or chunked), and only transfer and content codings the request accepted, that decode.",
    clause="HTTP/1.1 message body length (RFC 9112 section 6); content codings (RFC 9110 section 8.4)",
)
def http_framing_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    if exchange.status is None:
        raise NotApplicable
    if exchange.framing:
        raise CheckFailure(
            received="; ".join(exchange.framing),
            expected="a response whose Content-Length, or chunked transfer coding alone, frames exactly "
            "the body sent, in a content coding the request accepted (gzip, deflate or none)",
            where="the response framing",
        )


@check(
    id="stream_framing_conformance",
    severity="must",
    description="A streamed success is SSE whose events are JSON valid per the event schema, "
    "ending with data: [DONE] and nothing after.",
    clause="Streaming response",
)
def stream_framing_conformance(observation: Observation) -> None:
    exchange = observation.exchange
    if not observation.case.stream or not is_success(exchange):
        raise NotApplicable
    facts = exchange.stream
    if facts is None:
        raise CheckFailure(received="a response that was not read as a stream", expected="an SSE stream")
    validator = stream_event_validator()
    for index, data in enumerate(facts.events):
        if data == DONE:
            break
        try:
            event = read_json(data)
        except ValueError as exc:
            merged = _merged_events(data)
            if merged:
                raise CheckFailure(
                    received=f"{merged} events merged into one: their data: lines were not separated "
                    "by a blank line, so an SSE reader (WHATWG rules) joins them into one event, "
                    f"data {snippet(data)}",
                    expected="a blank line after each event's data: line",
                    where=f"event {index}",
                ) from None
            raise CheckFailure(
                received=f"data {snippet(data)}, which is not JSON ({exc})",
                expected="every event before [DONE] to be a JSON object",
                where=f"event {index}",
            ) from None
        violation = validator.explain(event)
        if violation is not None:
            raise CheckFailure(
                received=violation.message,
                expected="an event valid against the stream event schema",
                where=f"event {index} at {violation.where}",
            )
    if facts.misnamed:
        lines = ", ".join(snippet(line, 40) for line in facts.misnamed)
        raise CheckFailure(
            received=f"lines an SSE reader ignores, {lines}: "
            "field names are matched exactly (case and spaces count), so their field is unknown",
            expected="fields named exactly data, event, id or retry, followed by a colon",
            where="the event stream",
        )
    if facts.after_done:
        raise CheckFailure(
            received=f"{facts.after_done} event(s) after data: [DONE]",
            expected="nothing after data: [DONE]",
            where=f"event {facts.events.index(DONE) + 1}",
        )
    if facts.broke_at is not None or not facts.done:
        raise CheckFailure(
            received=f"a stream that stopped: {facts.broke_at or 'no [DONE] event'}",
            expected="a stream ending with data: [DONE]",
            where=f"after {len(facts.events)} events",
        )


def _merged_events(data: str) -> int:
    """How many events one event's data holds when each of its lines is an event of its own, else 0."""
    lines = data.split("\n")
    if len(lines) < 2:
        return 0
    for line in lines:
        if line == DONE:
            continue
        try:
            read_json(line)
        except ValueError:
            return 0
    return len(lines)


@check(
    id="max_tokens_honoured",
    severity="must",
    description="A success generates no more than max_tokens tokens (reported usage, "
    f"else at most {CHARS_PER_TOKEN_BOUND} characters per token).",
    clause="Input schema: max_tokens (default 256)",
)
def max_tokens_honoured(observation: Observation) -> None:
    exchange = observation.exchange
    body = observation.case.body
    if not is_success(exchange) or not isinstance(body, dict):
        raise NotApplicable
    limit: Any = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit != int(limit) or limit <= 0:
        raise NotApplicable  # 0 and negatives are schema-valid but say nothing checkable
    limit = int(limit)
    usage = reported_usage(exchange)
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if isinstance(completion, int) and not isinstance(completion, bool):
        if completion > limit:
            raise CheckFailure(
                received=f"usage.completion_tokens {completion}",
                expected=f"at most max_tokens={limit} completion tokens",
                where="usage.completion_tokens",
            )
        return
    text = generated_text(exchange)
    if text is None:
        raise NotApplicable
    bound = limit * CHARS_PER_TOKEN_BOUND
    if len(text) > bound:
        raise CheckFailure(
            received=f"a response of {len(text)} characters and no usage",
            expected=f"at most {bound} characters for max_tokens={limit} "
            f"({CHARS_PER_TOKEN_BOUND} characters per token at most)",
            where="result.response",
        )


@check(
    id="usage_reported",
    severity="should",
    description="Where the run's schema version declares usage in the result (docs-2025-01), "
    "a non-streamed success reports it.",
    clause="Output schema of the chosen version (usage: prompt_tokens, completion_tokens, total_tokens)",
)
def usage_reported(observation: Observation) -> None:
    # A version that lists usage as required fails result_conformance (must)
    # when it is missing; one that only declares it asks for it here (should);
    # one that does not declare it (the page's) asks nothing, so every success passes.
    schema = observation.run.schema
    exchange = observation.exchange
    if not is_success(exchange) or exchange.stream is not None:
        raise NotApplicable
    body = json_body(exchange)
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        raise NotApplicable  # the envelope and result checks report it
    if schema.declares_output("usage") and "usage" not in result:
        raise CheckFailure(
            received=f"a result without usage (keys: {', '.join(sorted(result)) or 'none'})",
            expected=f"result.usage {{prompt_tokens, completion_tokens, total_tokens}}, which schema "
            f"version {schema.name} declares; pass --schema-version "
            f"{_without_usage()} if this implementation follows the page's schema",
            where="/result/usage",
        )


def _without_usage() -> str:
    return next(v.name for v in schema_versions() if not v.declares_output("usage"))


@check(
    id="usage_consistent",
    severity="should",
    description="Reported usage has prompt_tokens, completion_tokens and total_tokens, "
    "with total = prompt + completion.",
    clause="Success response (usage in later schema versions)",
)
def usage_consistent(observation: Observation) -> None:
    exchange = observation.exchange
    if not is_success(exchange):
        raise NotApplicable
    usage = reported_usage(exchange)
    if usage is None:
        raise NotApplicable
    violation = usage_validator().explain(usage)
    if violation is not None:
        raise CheckFailure(
            received=violation.message,
            expected="usage valid against the usage schema",
            where="usage" + violation.pointer,
        )
    prompt, completion, total = usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]
    if prompt + completion != total:
        raise CheckFailure(
            received=f"prompt_tokens {prompt} + completion_tokens {completion} = {prompt + completion}, "
            f"total_tokens {total}",
            expected="total_tokens equal to prompt_tokens + completion_tokens",
            where="usage",
        )
