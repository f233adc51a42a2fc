"""Generation: the cases the suite sends. Knows the contract, nothing of transport."""

from __future__ import annotations

from conformance.generation.cases import Case, CaseKind, Outcome, body_digest

__all__ = ["Case", "CaseKind", "Outcome", "body_digest"]
