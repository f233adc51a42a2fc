"""Loads the vendored schemas shipped as the package ``conformance.schemas``.

The files live in the repository's top-level ``schemas/`` folder and are
mapped into the package at build time, so an installed wheel and a checkout
read the same bytes through importlib.resources.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from conformance.errors import ContractError

INPUT = "input.json"
OUTPUT = "output.json"
SUCCESS_ENVELOPE = "success-envelope.json"
ERROR_ENVELOPE = "error-envelope.json"
STREAM_EVENT = "stream-event.json"
USAGE = "usage.json"

SCHEMA_FILES = (INPUT, OUTPUT, SUCCESS_ENVELOPE, ERROR_ENVELOPE, STREAM_EVENT, USAGE)


def read_bytes(name: str) -> bytes:
    """The raw bytes of a vendored file, e.g. ``read_bytes("input.json")``."""
    try:
        return resources.files("conformance.schemas").joinpath(name).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ContractError(
            f"Vendored schema {name!r} is missing from the conformance.schemas package. "
            "Reinstall the toolkit (pip install -e .) so schemas/ is packaged."
        ) from exc


@cache
def _parsed(name: str) -> Any:
    try:
        return json.loads(read_bytes(name))
    except json.JSONDecodeError as exc:
        raise ContractError(f"Vendored schema {name!r} is not valid JSON: {exc}") from exc


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of a vendored schema, with references to sibling files inlined.

    Our own schemas point at each other by file name (``{"$ref": "usage.json"}``);
    inlining keeps both validator back-ends free of a resource registry.
    """
    schema = _inline_sibling_refs(_parsed(name))
    if not isinstance(schema, dict):
        raise ContractError(f"Vendored schema {name!r} is not a JSON object")
    return schema


def _inline_sibling_refs(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in SCHEMA_FILES:
            target = {k: v for k, v in _parsed(ref).items() if k not in ("$id", "$comment")}
            return _inline_sibling_refs(target)
        return {key: _inline_sibling_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_sibling_refs(item) for item in node]
    return node
