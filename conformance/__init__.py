"""Contract tests and schema conformance for the Workers AI text-generation API.

The supported API is what ``__all__`` lists; everything else is internal.
Each name loads its layer on first use (PEP 562), so ``import conformance``
(and the pytest entry point, `conformance.pytest_plugin.entry`) loads none
of Hypothesis, httpx or jsonschema_rs until a name is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.checks import (
        Check,
        CheckFailure,
        CheckSkipped,
        NotApplicable,
        Observation,
        Scenario,
        ScenarioOutcome,
        check,
        load_check_modules,
    )
    from conformance.contract import (
        MODEL,
        ContractValidator,
        ErrorCode,
        SchemaDiff,
        SchemaVersion,
        Violation,
        explain,
        request_validator,
        result_validator,
        schema_version,
        schema_versions,
    )
    from conformance.errors import ConformanceError, ContractError, TargetError, UsageError
    from conformance.generation import (
        Case,
        CaseKind,
        Outcome,
        boundary_cases,
        catalogue,
        invalid_cases,
        valid_cases,
        valid_requests,
    )
    from conformance.runner import (
        CaseResult,
        CheckResult,
        Event,
        ItemFinished,
        RunConfig,
        RunFinished,
        RunResult,
        RunStarted,
        replay,
        run,
        write_artifacts,
    )
    from conformance.transport import Exchange

__all__ = [
    # contract
    "MODEL",
    "ContractValidator",
    "ErrorCode",
    "SchemaDiff",
    "SchemaVersion",
    "Violation",
    "explain",
    "request_validator",
    "result_validator",
    "schema_version",
    "schema_versions",
    # generation
    "Case",
    "CaseKind",
    "Outcome",
    "boundary_cases",
    "catalogue",
    "invalid_cases",
    "valid_cases",
    "valid_requests",
    # transport
    "Exchange",
    # checks
    "Check",
    "CheckFailure",
    "CheckSkipped",
    "NotApplicable",
    "Observation",
    "Scenario",
    "ScenarioOutcome",
    "check",
    "load_check_modules",
    # runner
    "run",
    "replay",
    "write_artifacts",
    "RunConfig",
    "RunResult",
    "CaseResult",
    "CheckResult",
    "Event",
    "RunStarted",
    "ItemFinished",
    "RunFinished",
    # errors
    "ConformanceError",
    "ContractError",
    "TargetError",
    "UsageError",
]

# Where each name of `__all__` lives.
_HOMES: dict[str, tuple[str, ...]] = {
    "conformance.checks": (
        "Check",
        "CheckFailure",
        "CheckSkipped",
        "NotApplicable",
        "Observation",
        "Scenario",
        "ScenarioOutcome",
        "check",
        "load_check_modules",
    ),
    "conformance.contract": (
        "MODEL",
        "ContractValidator",
        "ErrorCode",
        "SchemaDiff",
        "SchemaVersion",
        "Violation",
        "explain",
        "request_validator",
        "result_validator",
        "schema_version",
        "schema_versions",
    ),
    "conformance.errors": (
        "ConformanceError",
        "ContractError",
        "TargetError",
        "UsageError",
    ),
    "conformance.generation": (
        "Case",
        "CaseKind",
        "Outcome",
        "boundary_cases",
        "catalogue",
        "invalid_cases",
        "valid_cases",
        "valid_requests",
    ),
    "conformance.runner": (
        "CaseResult",
        "CheckResult",
        "Event",
        "ItemFinished",
        "RunConfig",
        "RunFinished",
        "RunResult",
        "RunStarted",
        "replay",
        "run",
        "write_artifacts",
    ),
    "conformance.transport": ("Exchange",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
