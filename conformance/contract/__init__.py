"""The contract: vendored schemas, compiled validators, explanations, HTTP facts.

Knows nothing of HTTP clients, generation or checks; everything else builds on it.
"""

from __future__ import annotations

from conformance.contract.api import (
    CLOUDFLARE_BASE_URL,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    MAX_CONTENT_CHARS,
    MODEL,
    SEED_MAX,
    ErrorBody,
    ErrorCode,
    run_path,
)
from conformance.contract.explain import Violation, pointer_of
from conformance.contract.loading import SCHEMA_FILES, load_schema, read_bytes
from conformance.contract.refusals import REFUSALS, Refusal, documented_refusal, refusals_for
from conformance.contract.schema_diff import SchemaChange, SchemaDiff
from conformance.contract.validators import (
    ContractValidator,
    error_envelope_validator,
    explain,
    request_validator,
    result_validator,
    stream_event_validator,
    success_envelope_validator,
    usage_validator,
    validator_for,
)
from conformance.contract.versions import (
    DEFAULT_SCHEMA_VERSION,
    SchemaVersion,
    default_schema_version,
    schema_version,
    schema_versions,
)

__all__ = [
    "CLOUDFLARE_BASE_URL",
    "DEFAULT_SCHEMA_VERSION",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TEMPERATURE",
    "MAX_CONTENT_CHARS",
    "MODEL",
    "REFUSALS",
    "SCHEMA_FILES",
    "SEED_MAX",
    "ContractValidator",
    "ErrorBody",
    "ErrorCode",
    "Refusal",
    "SchemaChange",
    "SchemaDiff",
    "SchemaVersion",
    "Violation",
    "default_schema_version",
    "error_envelope_validator",
    "documented_refusal",
    "explain",
    "load_schema",
    "pointer_of",
    "read_bytes",
    "refusals_for",
    "request_validator",
    "result_validator",
    "run_path",
    "schema_version",
    "schema_versions",
    "stream_event_validator",
    "success_envelope_validator",
    "usage_validator",
    "validator_for",
]
