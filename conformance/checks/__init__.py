"""Checks: named properties judged on finished exchanges and scenarios.

Importing this package registers the built-in checks on `registry`; a user's
own checks register on it with the same `check` decorator, and
`load_check_modules` imports a user's module of them by name or path.
"""

from __future__ import annotations

from conformance.checks import error_statuses as _error_statuses  # noqa: F401
from conformance.checks import exchanges as _exchanges  # noqa: F401  (registers the built-ins)
from conformance.checks import lengths as _lengths  # noqa: F401
from conformance.checks import scenarios as _scenarios  # noqa: F401

# isort: split
# Registered last, so its checks are listed and its scenarios planned after the others.
from conformance.checks import concurrency as _concurrency  # noqa: F401
from conformance.checks._loading import load_check_modules
from conformance.checks._registry import (
    SEVERITIES,
    Check,
    CheckFailure,
    CheckRegistry,
    CheckSkipped,
    NotApplicable,
    Severity,
    check,
    registry,
)
from conformance.checks.exchanges import CHARS_PER_TOKEN_BOUND
from conformance.checks.subjects import (
    Observation,
    PlanContext,
    Route,
    RunFacts,
    Scenario,
    ScenarioOutcome,
    ScenarioRequest,
)

__all__ = [
    "CHARS_PER_TOKEN_BOUND",
    "SEVERITIES",
    "Check",
    "CheckFailure",
    "CheckRegistry",
    "CheckSkipped",
    "NotApplicable",
    "Observation",
    "PlanContext",
    "Route",
    "RunFacts",
    "Scenario",
    "ScenarioOutcome",
    "ScenarioRequest",
    "Severity",
    "check",
    "load_check_modules",
    "registry",
]
