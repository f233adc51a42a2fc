"""Compiled validators for every schema of the contract.

Two back-ends judge the same schema: jsonschema_rs (compiled, used wherever
thousands of bodies are validated) and jsonschema (slower, but its errors
carry the paths that `explain` turns into sentences). A test proves they agree
on the whole case catalogue.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from conformance.contract import loading
from conformance.contract.explain import Violation, violations_of

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


class ContractValidator:
    """One vendored schema, ready to judge instances.

    >>> request_validator().is_valid({"prompt": "Hello"})
    True
    >>> request_validator().explain({"prompt": "Hi", "temperature": 6}).where
    '/temperature'
    """

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self._compiled = jsonschema_rs.validator_for(schema)

    @cached_property
    def _reference(self) -> Draft202012Validator:
        # Built on first use: a run whose answers are all valid never explains one,
        # and never pays for importing jsonschema (about 0.1 s).
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self.schema)

    def __repr__(self) -> str:
        return f"ContractValidator({self.name!r})"

    def is_valid(self, instance: Any) -> bool:
        """Fast verdict from the compiled back-end."""
        return bool(self._compiled.is_valid(instance))

    def is_valid_reference(self, instance: Any) -> bool:
        """Verdict from the reference back-end (jsonschema); slower."""
        return bool(self._reference.is_valid(instance))

    def violations(self, instance: Any) -> list[Violation]:
        """Every violation, most relevant first; empty when the instance is valid."""
        if self.is_valid(instance):
            return []
        return violations_of(self._reference, instance)

    def explain(self, instance: Any) -> Violation | None:
        """The first violation as a sentence with a pointer, or None when valid."""
        found = self.violations(instance)
        return found[0] if found else None


@cache
def validator_for(name: str) -> ContractValidator:
    """The compiled validator of any vendored schema file, e.g. ``versions/docs-2025-01/input.json``."""
    return ContractValidator(name, loading.load_schema(name))



def request_validator() -> ContractValidator:
    """The published input schema (request bodies)."""
    return validator_for(loading.INPUT)


def result_validator() -> ContractValidator:
    """The published output schema (``result`` of a non-streamed run)."""
    return validator_for(loading.OUTPUT)


def success_envelope_validator() -> ContractValidator:
    """The v4 envelope around a success."""
    return validator_for(loading.SUCCESS_ENVELOPE)


def error_envelope_validator() -> ContractValidator:
    """The v4 envelope around an error."""
    return validator_for(loading.ERROR_ENVELOPE)


def stream_event_validator() -> ContractValidator:
    """One JSON ``data:`` event of a stream."""
    return validator_for(loading.STREAM_EVENT)


def usage_validator() -> ContractValidator:
    """``{prompt_tokens, completion_tokens, total_tokens}``."""
    return validator_for(loading.USAGE)


def explain(instance: Any) -> Violation | None:
    """Why a request body breaks the input schema, or None when it is valid.

    >>> explain({"prompt": "x", "messages": [{"role": "user", "content": "y"}]}).keyword
    'oneOf'
    """
    return request_validator().explain(instance)
