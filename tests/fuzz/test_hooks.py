"""The schemathesis hooks: the model goes on the wire literally and the account is the configured one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis

from conformance.contract import MODEL
from conformance.contract.openapi import openapi_document
from conformance.fuzz import hooks
from support.fake_server import fake_server

ENCODED = quote(MODEL, safe="")  # how schemathesis writes any path parameter: %40hf%2Fthebloke%2F...


@pytest.fixture
def operation() -> Iterator[Any]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    (found,) = [result.ok() for result in schema.get_all_operations()]
    yield found
    hooks.use_account(None)


def case(operation: Any, model: str, account: str = "X") -> Any:
    return operation.Case(
        path_parameters={"account_id": account, "model": model},
        body={"prompt": "hi"},
        media_type="application/json",
    )


def test_the_model_is_put_back_literally_and_a_mutated_model_keeps_its_encoding(operation: Any) -> None:
    sent, mutated = case(operation, ENCODED), case(operation, quote("@hf/other", safe=""))
    hooks.literal_path_parameters(operation, sent.path_parameters)
    hooks.literal_path_parameters(operation, mutated.path_parameters)
    assert sent.formatted_path == f"/accounts/X/ai/run/{MODEL}"
    assert mutated.formatted_path == "/accounts/X/ai/run/%40hf%2Fother"  # negative data, refused either way


def test_a_raw_path_server_refuses_the_encoded_model_that_the_hook_sends_literally(operation: Any) -> None:
    hooks.use_account("f00d")
    with fake_server({"raw_path"}, account="f00d") as base:
        refused = requests.post(f"{base}/accounts/f00d/ai/run/{ENCODED}", json={"prompt": "hi"}, timeout=30)
        wrong_account = requests.post(f"{base}/accounts/X/ai/run/{MODEL}", json={"prompt": "hi"}, timeout=30)
        # before_call, as every phase sends: the encoded model and the document's example account.
        accepted = case(operation, ENCODED, account="X").call(base_url=base)
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (400, 5007)
    assert (wrong_account.status_code, wrong_account.json()["errors"][0]["code"]) == (404, 7003)
    assert accepted.status_code == 200, accepted.text
    assert accepted.request.url == f"{base}/accounts/f00d/ai/run/{MODEL}"


def test_a_server_that_decodes_the_path_serves_the_encoded_model_too() -> None:
    with fake_server() as base:
        answered = requests.post(f"{base}/accounts/X/ai/run/{ENCODED}", json={"prompt": "hi"}, timeout=30)
    assert answered.status_code == 200, answered.text
