"""schemathesis extension points that make our OpenAPI document fuzzable as it is.

Loaded by ``st run`` through ``schemathesis.toml`` (``hooks = "conformance.fuzz.hooks"``)
and by ``conformance fuzz``. Each one answers a pitfall in CONTRACT.md without
touching the vendored input schema:

- ``format: binary`` (the ``image`` string): schemathesis draws bytes for it,
  which a JSON body cannot carry; a text strategy is registered instead.
- Strings near 131072 code points: no generator draws them, so the boundary
  catalogue's maximal bodies are added as explicit examples.
- The account id: ``CLOUDFLARE_ACCOUNT_ID``, when set, is the one sent.

``[DONE]`` is declared in the document itself, and redaction of keys that
contain "token" is configured in ``schemathesis.toml``.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

from conformance.contract import MODEL
from conformance.generation import Case, boundary_cases

ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
DEFAULT_ACCOUNT = "X"

# Short printable text: the server reads `image` as a string, never as bytes here.
schemathesis.openapi.format("binary", st.text(alphabet="0123456789abcdef", max_size=64))


def maximal_cases() -> list[Case]:
    """The boundary catalogue's bodies over 64 KiB: lengths no schemathesis generator reaches."""
    return [case for case in boundary_cases() if "large" in case.tags]


def account_id() -> str:
    """The account id sent in every path: ``$CLOUDFLARE_ACCOUNT_ID``, else ``X``."""
    return os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT


@schemathesis.hook
def map_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> dict[str, Any]:
    # The account id carries no constraint in the document, so nothing negative is
    # lost by replacing it; any other value would be answered 404 by a server
    # that serves one account.
    if ACCOUNT_ENV in os.environ and "account_id" in path_parameters:
        return {**path_parameters, "account_id": account_id()}
    return path_parameters


@schemathesis.hook
def before_add_examples(context: schemathesis.HookContext, examples: list[Any]) -> None:
    operation = context.operation
    if operation is None:
        return
    model = _model_default(operation)
    for case in maximal_cases():
        examples.append(
            operation.Case(
                path_parameters={"account_id": account_id(), "model": model},
                body=case.body,
                media_type="application/json",
            )
        )


def _model_default(operation: Any) -> str:
    for parameter in operation.path_parameters:
        if parameter.name == "model":
            default = parameter.definition.get("schema", {}).get("default")
            if isinstance(default, str):
                return default
    return MODEL
