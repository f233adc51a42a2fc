"""Generation: the cases the suite sends. Knows the contract, nothing of transport.

Three catalogues: drawn valid cases (`valid_cases`, from the Hypothesis
strategy `valid_requests`), built boundary cases and built invalid cases.
"""

from __future__ import annotations

from conformance.generation.boundary import boundary_cases
from conformance.generation.cases import Case, CaseKind, Outcome, body_digest, body_tags
from conformance.generation.catalogue import catalogue, valid_cases
from conformance.generation.invalid import invalid_cases
from conformance.generation.strategies import (
    functions,
    images,
    message_contents,
    messages,
    messages_requests,
    prompt_requests,
    prompts,
    roles,
    tool_definitions,
    tools,
    valid_requests,
)

__all__ = [
    # values
    "Case",
    "CaseKind",
    "Outcome",
    "body_digest",
    "body_tags",
    # catalogues
    "boundary_cases",
    "catalogue",
    "invalid_cases",
    "valid_cases",
    # strategies
    "functions",
    "images",
    "message_contents",
    "messages",
    "messages_requests",
    "prompt_requests",
    "prompts",
    "roles",
    "tool_definitions",
    "tools",
    "valid_requests",
]
