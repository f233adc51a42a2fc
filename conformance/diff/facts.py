"""What is compared of an exchange: facts that do not depend on which words a model sampled.

Each fact has a name and a class (the class a disagreement on it is reported
under). A fact that does not apply to an exchange (error codes on a 200,
framing on a JSON answer) is absent. Free text is only ever the ``text``
fact, which fails a comparison only with ``--strict-text``.

>>> from conformance.transport import Exchange
>>> exchange_facts(Exchange("POST", "u", {}, {"prompt": "x"}, status=400,
...                         body=b'{"errors": [{"code": 5006, "message": "bad"}]}'))
{'status': 400, 'error_codes': [5006]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.checks import Scenario
from conformance.checks.reading import error_codes, generated_text, is_success, reported_usage, result_object
from conformance.contract import DEFAULT_MAX_TOKENS
from conformance.contract.bounded_json import read_json
from conformance.generation import Case
from conformance.transport import DONE, Exchange

FACT_CLASSES: dict[str, str] = {
    "status": "status",
    "error_codes": "error_code",
    "branch": "branch",
    "fields": "fields",
    "stream.done": "framing",
    "stream.json": "framing",
    "stream.after_done": "framing",
    "stream.padding": "framing",
    "usage.arithmetic": "usage",
    "usage.max_tokens": "usage",
    "text": "text",
    "reproduces": "determinism",
}
"""Every fact, in the order it is compared, with its class."""

GATES = ("status", "branch")
"""Facts after which nothing more is compared when they differ: a 200 against a 413 is one difference."""

OUTPUT_FIELDS = ("response", "tool_calls", "usage")

DETERMINISM_CHECKS = frozenset({"same_seed_same_text", "temperature_zero_deterministic"})
"""The checks whose scenarios send one body twice and expect the same text back."""

NO_RESPONSE = "no response"


def exchange_facts(exchange: Exchange) -> dict[str, Any]:
    """The facts of one exchange, by name; only those that apply to it."""
    if exchange.status is None:
        return {"status": NO_RESPONSE}
    facts: dict[str, Any] = {"status": exchange.status}
    if not is_success(exchange):
        facts["error_codes"] = sorted(error_codes(exchange))
        return facts
    stream = exchange.stream
    if stream is not None:
        events = _events(stream.events)
        facts["branch"] = "event-stream"
        facts["fields"] = sorted({k for e in events if isinstance(e, dict) for k in e} & set(OUTPUT_FIELDS))
        facts["stream.done"] = stream.done
        facts["stream.json"] = all(isinstance(e, dict) for e in events)
        facts["stream.after_done"] = stream.after_done > 0
        facts["stream.padding"] = any(isinstance(e, dict) and "p" in e for e in events)
    else:
        result = result_object(exchange)
        facts["branch"] = "object" if result is not None else "other"
        facts["fields"] = sorted(set(result or ()) & set(OUTPUT_FIELDS))
    facts.update(_usage_facts(exchange))
    text = generated_text(exchange)
    if text is not None:
        facts["text"] = text
    return facts


def item_facts(item: Case | Scenario, exchanges: Sequence[Exchange]) -> dict[str, Any]:
    """Facts about a case as a whole: whether a determinism scenario got the same text twice."""
    if not isinstance(item, Scenario) or item.check not in DETERMINISM_CHECKS or len(exchanges) < 2:
        return {}
    texts = [generated_text(e) if is_success(e) else None for e in exchanges[:2]]
    if texts[0] is None or texts[1] is None:
        return {}
    return {"reproduces": texts[0] == texts[1]}


def _events(events: Sequence[str]) -> list[Any]:
    """Each event's data before ``[DONE]`` as JSON, or None where it is not JSON."""
    parsed: list[Any] = []
    for data in events:
        if data == DONE:
            break
        try:
            parsed.append(read_json(data))
        except ValueError:
            parsed.append(None)
    return parsed


def _count(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage_facts(exchange: Exchange) -> dict[str, Any]:
    """Whether usage adds up, and whether it stays within max_tokens: never the counts themselves."""
    usage = reported_usage(exchange)
    if not isinstance(usage, dict):
        return {}
    prompt, completion, total = (
        _count(usage, k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    facts: dict[str, Any] = {}
    if prompt is not None and completion is not None and total is not None:
        facts["usage.arithmetic"] = "adds up" if prompt + completion == total else "does not add up"
    body = exchange.request_body
    limit = body.get("max_tokens", DEFAULT_MAX_TOKENS) if isinstance(body, dict) else None
    if completion is not None and isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        facts["usage.max_tokens"] = "within max_tokens" if completion <= limit else "over max_tokens"
    return facts
