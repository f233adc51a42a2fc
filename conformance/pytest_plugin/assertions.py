"""`assert_conforms`: the registered checks on one exchange of a user's own test.

>>> from hypothesis import given
>>> from conformance.pytest_plugin import assert_conforms
>>> from conformance.strategies import valid_requests
>>> @given(body=valid_requests())
... def test_any_valid_body_conforms(conformance_client, body):
...     assert_conforms(conformance_client.send(body))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.checks import CheckRegistry, RunFacts, registry
from conformance.contract import SchemaVersion, schema_version
from conformance.generation import Case, CaseKind, body_digest
from conformance.pytest_plugin.verdicts import raise_for
from conformance.runner import judge_case
from conformance.transport import Exchange


def assert_conforms(
    exchange: Exchange,
    *,
    case: Case | None = None,
    checks: Sequence[str] = (),
    exclude_checks: Sequence[str] = (),
    strict: bool = False,
    has_token: bool = True,
    registry: CheckRegistry = registry,
    schema: SchemaVersion | str | None = None,
) -> None:
    """Judge ``exchange`` with every registered exchange check (or ``checks`` only).

    A failing ``must`` check (any check with ``strict``) raises
    `ConformanceFailure`, an AssertionError whose message names each failing
    check with its Received / Expected / Where lines, so Hypothesis shrinks
    the body that caused it; a failing ``should`` check warns with
    `ShouldFailureWarning`. ``case`` says what the body is meant to be; by
    default a schema-valid body must be accepted and any other refused;
    ``schema`` names the schema version (the page's by default).
    """
    __tracebackhide__ = True
    version = schema_version(schema)
    subject = case if case is not None else case_of(exchange.request_body, version)
    selected = [c for c in registry.select(checks, exclude_checks) if not c.is_scenario]
    result = judge_case(subject, exchange, selected, RunFacts(has_token=has_token, schema=version))
    raise_for(result, strict=strict, baseline={})


def case_of(body: Any, schema: SchemaVersion | str | None = None) -> Case:
    """The case a body of a user's test stands for: valid (to accept) or invalid (to refuse)."""
    if schema_version(schema).request_validator().is_valid(body):
        return Case.build(CaseKind.VALID, f"test-{body_digest(body)}", "a body sent by a test", body)
    return Case.build(CaseKind.INVALID, f"test-{body_digest(body)}", "an invalid body sent by a test", body)
