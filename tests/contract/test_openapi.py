"""schemas/openapi.json: generated from the vendored schemas, current, and loadable by schemathesis."""

from __future__ import annotations

import json
from pathlib import Path

import schemathesis
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import load_schema
from conformance.contract.openapi import RUN_PATH_TEMPLATE, openapi_document, openapi_json

COMMITTED = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"


def test_committed_document_is_current_with_its_generator() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_json(), (
        "schemas/openapi.json is stale: run `conformance openapi > schemas/openapi.json`"
    )


def test_conformance_openapi_prints_the_document() -> None:
    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0
    assert result.output == openapi_json()


def test_conformance_openapi_takes_another_models_default() -> None:
    result = CliRunner().invoke(main, ["openapi", "--model", "@cf/meta/llama-2-7b-chat-fp16"])
    params = json.loads(result.output)["paths"][RUN_PATH_TEMPLATE]["post"]["parameters"]
    assert params[1]["schema"]["default"] == "@cf/meta/llama-2-7b-chat-fp16"


def test_request_body_is_the_input_schema_untouched() -> None:
    doc = openapi_document()
    assert doc["components"]["schemas"]["Input"] == load_schema("input.json")


def test_responses_declare_envelopes_stream_and_retry_after() -> None:
    doc = openapi_document()
    ok = doc["paths"][RUN_PATH_TEMPLATE]["post"]["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/event-stream"}
    result = doc["components"]["schemas"]["SuccessEnvelope"]["properties"]["result"]
    assert result == {"$ref": "#/components/schemas/Result"}
    assert set(doc["components"]["schemas"]["Result"]["properties"]) == {"response", "tool_calls"}
    assert "Retry-After" in doc["components"]["responses"]["Error429"]["headers"]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_schemathesis_loads_the_document_with_one_operation() -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert labels == [f"POST {RUN_PATH_TEMPLATE}"]
