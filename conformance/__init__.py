"""Contract tests and schema conformance for the Workers AI text-generation API.

The supported API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

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
