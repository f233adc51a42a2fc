"""From request bytes to a `GenerationRequest`, or to the error envelope that explains why not.

Every way a body can be wrong ends here as an `ErrorBody` with code 5006 (or
3003 for an empty body): bytes that are not UTF-8, JSON that does not parse
(``NaN`` and ``Infinity`` included: they are not JSON), nesting deep enough
to exhaust the parser, numbers too long to convert, and anything the
vendored input schema rejects, with the violation and its JSON pointer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from conformance.contract import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    ErrorBody,
    ErrorCode,
    SchemaVersion,
    schema_version,
)
from conformance.server.engines.base import ChatMessage, GenerationRequest, ToolSpec
from conformance.server.engines.tool_calls import tool_specs

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ParsedBody:
    """A valid body: what to generate, and whether to stream it."""

    request: GenerationRequest
    stream: bool


def bad_input(detail: str) -> ErrorBody:
    """The 5006 envelope with the service's message prefix."""
    return ErrorBody(ErrorCode.BAD_INPUT, f"AiError: Bad input: {detail}")


def parse_body(raw: bytes, schema: SchemaVersion | None = None) -> ParsedBody | ErrorBody:
    """Judge a request body against a schema version (the page's by default); never raises for any input.

    >>> parse_body(b'{"prompt": "Hi", "temperature": 6}').message
    "AiError: Bad input: '/temperature' is 6, above the maximum of 5. (maximum at /temperature)"
    """
    body = decode_body(raw)
    return body if isinstance(body, ErrorBody) else judge_body(body, schema)


def decode_body(raw: bytes, *, wanted: str = "a JSON object with 'prompt' or 'messages'") -> object:
    """The JSON value in ``raw``, or the `ErrorBody` for an empty or undecodable body; never raises.

    ``wanted`` completes the empty-body message: what the route expects instead.
    """
    if not raw.strip():
        return ErrorBody(
            ErrorCode.MISSING_HEADERS_OR_BODY,
            f"AiError: Bad input: the request has no body. Send {wanted}.",
        )
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        # ValueError covers UnicodeDecodeError, JSONDecodeError and int conversion limits.
        return bad_input(f"the body is not valid JSON: {_short(exc)}")


def judge_body(body: object, schema: SchemaVersion | None = None) -> ParsedBody | ErrorBody:
    """A decoded body judged against a schema version's input schema (the page's by default); never raises.

    The OpenAI-compatible route translates its body into this one's terms and
    judges it here, so both routes accept and refuse the same things. An input
    that another published version declares and this one dropped (``image``
    under ``docs-2025-01``) is refused too, as a server built for that version
    would: the schema alone would let it through as an undeclared key.
    """
    version = schema_version(schema)
    try:
        violation = version.request_validator().explain(body)
    except (ValueError, OverflowError, RecursionError, TypeError) as exc:
        return bad_input(f"the body could not be validated: {_short(exc)}")
    if violation is not None:
        return bad_input(f"{violation.message} ({violation.keyword} at {violation.where})")
    assert isinstance(body, dict)  # the schema's two branches are objects
    dropped = [key for key in version.dropped_inputs() if key in body]
    if dropped:
        return bad_input(
            f"'{dropped[0]}' is not an input of this model in schema version {version.name}; "
            f"remove it (at /{dropped[0]})"
        )
    return ParsedBody(request=generation_request(body, version), stream=body.get("stream") is True)


@cache
def _prompt_branch(version: SchemaVersion) -> Any:
    return jsonschema_rs.validator_for(version.branches()["Prompt"])


def _is_prompt_body(body: Mapping[str, Any], version: SchemaVersion) -> bool:
    """Which ``oneOf`` branch a valid body matched: the other branch's keys may be present as junk.

    ``{"prompt": "x", "messages": null}`` is a valid Prompt body (Prompt does
    not describe ``messages``), and ``{"messages": [...], "prompt": 5}`` a
    valid Messages body.
    """
    return bool(_prompt_branch(version).is_valid(dict(body)))


@cache
def _flat_tool_form(version: SchemaVersion) -> Any:
    forms = version.branches()["Messages"]["properties"]["tools"]["items"]["oneOf"]
    flat = next(form for form in forms if "function" not in form.get("properties", {}))
    return jsonschema_rs.validator_for(flat)


def _tools(body: Mapping[str, Any], version: SchemaVersion) -> tuple[ToolSpec, ...]:
    """The offered tools, each read by the ``oneOf`` form it matched (junk keys of the other form ignored).

    A flat tool may carry a ``function`` member the schema does not describe
    (``{"name": ..., "parameters": {...}, "function": true}``): it is still
    a flat tool, as the schema's ``oneOf`` decides.
    """
    flat = _flat_tool_form(version)
    return tool_specs(body.get("tools") or [], is_flat=lambda tool: bool(flat.is_valid(dict(tool))))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _text(value: str) -> str:
    # JSON may carry lone surrogates (\ud800); no tokenizer can encode them.
    return _LONE_SURROGATE.sub("\ufffd", value)


def _number(body: Mapping[str, Any], key: str) -> float | None:
    value = body.get(key)
    return None if value is None else float(value)


def generation_request(body: Mapping[str, Any], schema: SchemaVersion | None = None) -> GenerationRequest:
    """The `GenerationRequest` for a body that `judge_body` accepted."""
    version = schema_version(schema)
    messages = None
    if not _is_prompt_body(body, version):
        messages = tuple(ChatMessage(_text(m["role"]), _text(m["content"])) for m in body["messages"])
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    top_k = body.get("top_k")
    seed = body.get("seed")
    lora = body.get("lora")
    return GenerationRequest(
        prompt=_text(body["prompt"]) if messages is None else None,
        messages=messages,
        raw=body.get("raw") is True and messages is None,
        # JSON Schema integers include 5.0; huge values cannot exceed any context window anyway.
        max_tokens=int(max_tokens) if abs(max_tokens) < 2**31 else (2**31 if max_tokens > 0 else 0),
        temperature=float(body.get("temperature", DEFAULT_TEMPERATURE)),
        top_p=_number(body, "top_p"),
        top_k=None if top_k is None else int(top_k),
        seed=None if seed is None else int(seed),
        repetition_penalty=_number(body, "repetition_penalty"),
        frequency_penalty=_number(body, "frequency_penalty"),
        presence_penalty=_number(body, "presence_penalty"),
        tools=_tools(body, version) if messages is not None else (),
        lora=_text(lora) if isinstance(lora, str) else None,
    )
