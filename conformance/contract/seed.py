"""Reads the input schema out of the published model page (the project's seed).

The page is a text rendering of Cloudflare's model documentation; its
"API Schemas" section ends with the input JSON Schema. Used to vendor
``schemas/input.json`` and, in the tests, to prove the vendored file still
equals what the page publishes.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.errors import ContractError

_MARKER = "The following schemas are based on JSON Schema"


def extract_input_schema(page_text: str) -> dict[str, Any]:
    """The JSON Schema published in the page's "API Schemas" block, from the page's text::

        extract_input_schema(Path("seed.txt").read_text())["oneOf"][0]["title"]  # 'Prompt'
    """
    start = page_text.find(_MARKER)
    if start < 0:
        raise ContractError(f"no {_MARKER!r} section in the model page")
    brace = page_text.find("{", start)
    try:
        schema, _ = json.JSONDecoder().raw_decode(page_text[brace:])
    except json.JSONDecodeError as exc:
        raise ContractError(f"the model page's schema block is not JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise ContractError("the model page's schema block is not a JSON object")
    return schema
