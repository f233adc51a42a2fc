"""Shared test data: a token that must never leak, and a handful of cases covering every check."""

from __future__ import annotations

from conformance.generation import Case, CaseKind

TOKEN = "tok-9f8e7d6c5b4a-secret"


def small_cases() -> tuple[Case, ...]:
    """One case of each shape the checks look at: plain, streamed, messages, invalid."""
    return (
        Case.build(CaseKind.VALID, "prompt", "a prompt", {"prompt": "Hello", "max_tokens": 8}),
        Case.build(
            CaseKind.BOUNDARY,
            "seed-max",
            "seed at its maximum",
            {"prompt": "x", "seed": 9999999999, "max_tokens": 4},
        ),
        Case.build(CaseKind.BOUNDARY, "stream", "streamed", {"prompt": "x", "stream": True, "max_tokens": 6}),
        Case.build(
            CaseKind.VALID,
            "messages",
            "messages",
            {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5},
        ),
        Case.build(
            CaseKind.INVALID,
            "temperature-maximum",
            "temperature above 5",
            {"prompt": "x", "temperature": 6},
            violates=("/temperature", "maximum"),
        ),
    )
