"""Reading a finished exchange the way checks need it: JSON body, generated text, usage."""

from __future__ import annotations

import email.utils
import re
from typing import Any

from conformance.checks._registry import CheckFailure
from conformance.contract.bounded_json import read_json
from conformance.transport import Exchange


def json_body(exchange: Exchange) -> Any:
    """The body as JSON, or a CheckFailure saying it is not JSON (or too deep or too large to read)."""
    try:
        return read_json(exchange.body)
    except ValueError as exc:
        # Why the body may be incomplete (a cap, a broken connection) is part of why it is not JSON.
        cut = f"{exchange.error}; " if exchange.error else ""
        raise CheckFailure(
            received=f"a body that is not JSON ({exc}); {cut}it starts {snippet(exchange.text)}",
            expected="a JSON body",
        ) from None


def snippet(text: str, limit: int = 120) -> str:
    """A short quoted head of ``text`` for a failure message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def rate_limited(exchange: Exchange) -> bool:
    """Whether the target was still out of capacity (429) after the client's retries.

    A documented refusal that says nothing about the property a status check
    judges: the check is skipped, and only the envelope is judged.
    """
    return exchange.status == 429 and exchange.retries > 0


def answers(exchange: Exchange) -> tuple[Exchange, ...]:
    """Every answer the target gave to one request: the last, then the ones the client retried (429, 503)."""
    return (exchange, *exchange.retried)


_DELAY_SECONDS = re.compile(r"[0-9]+")


def retry_after_problem(exchange: Exchange) -> str | None:
    """What is wrong with a 429's Retry-After (RFC 9110: delay-seconds or an HTTP-date), else None."""
    if exchange.status != 429:
        return None
    value = exchange.headers.get("retry-after")
    if value is None:
        return "no Retry-After header"
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return None
    try:
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return f"Retry-After {snippet(value)}, which is neither a number of seconds nor an HTTP date"
    return None


def is_success(exchange: Exchange) -> bool:
    """Whether the target answered with a 2xx (a transport error has no status)."""
    return exchange.status is not None and 200 <= exchange.status < 300


def generated_text(exchange: Exchange) -> str | None:
    """The generated text of a successful exchange (streamed or not), or None when there is none."""
    if exchange.stream is not None:
        pieces = [e.get("response") for e in exchange.stream.json_events if isinstance(e, dict)]
        return "".join(p for p in pieces if isinstance(p, str))
    result = result_object(exchange)
    text = result.get("response") if result is not None else None
    return text if isinstance(text, str) else None


def reported_usage(exchange: Exchange) -> Any:
    """``usage`` as the response reports it (``result.usage`` or a streamed event's), else None."""
    if exchange.stream is not None:
        found: Any = None
        for event in exchange.stream.json_events:
            if isinstance(event, dict) and "usage" in event:
                found = event["usage"]
        return found
    result = result_object(exchange)
    return result.get("usage") if result is not None else None


def result_object(exchange: Exchange) -> dict[str, Any] | None:
    """The ``result`` object of a JSON answer, or None when the body has none.

    A malformed body is the envelope checks' business; here it just has no result.
    """
    try:
        body = read_json(exchange.body)
    except ValueError:
        return None
    result = body.get("result") if isinstance(body, dict) else None
    return result if isinstance(result, dict) else None


def first_difference(a: str, b: str) -> str:
    """Where two texts part, as a short phrase for a failure message."""
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return (
                f"character {index}: {snippet(a[index : index + 30])} versus {snippet(b[index : index + 30])}"
            )
    return f"character {min(len(a), len(b))}: one text is {abs(len(a) - len(b))} characters longer"


def error_codes(exchange: Exchange) -> list[int]:
    """The integer ``code`` of every entry of an error body's ``errors`` array; empty when there are none."""
    try:
        body = read_json(exchange.body)
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    codes = [e.get("code") for e in errors if isinstance(e, dict)]
    return [c for c in codes if isinstance(c, int) and not isinstance(c, bool)]
