"""Generation: the cases the suite sends. Knows the contract, nothing of transport.

Three catalogues: drawn valid cases (`valid_cases`, from the Hypothesis
strategy `valid_requests`), built boundary cases and built invalid cases.
The strategies load on first use (PEP 562): a run whose drawn cases come from
the catalogue cache (`conformance.generation.cache`) never imports Hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.generation.boundary import boundary_cases
from conformance.generation.cases import Case, CaseKind, Outcome, body_digest, body_tags
from conformance.generation.catalogue import catalogue, valid_cases
from conformance.generation.invalid import invalid_cases

if TYPE_CHECKING:
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

_STRATEGIES = frozenset(__all__[__all__.index("functions") :])


def __getattr__(name: str) -> Any:
    if name not in _STRATEGIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("conformance.generation.strategies"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
