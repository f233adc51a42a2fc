"""Validators and explanations of the vendored contract."""

from __future__ import annotations

import pytest

from conformance.contract import (
    MAX_CONTENT_CHARS,
    SEED_MAX,
    ErrorBody,
    ErrorCode,
    error_envelope_validator,
    explain,
    request_validator,
    result_validator,
    run_path,
    stream_event_validator,
    success_envelope_validator,
)

BOTH = {"prompt": "x", "messages": [{"role": "user", "content": "y"}]}


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "Hello"},
        {"messages": [{"role": "user", "content": "Hi"}]},
        {"messages": []},
        {"prompt": "x", "max_tokens": 5.0},  # JSON Schema integers accept 5.0
        {"prompt": "x", "max_tokens": -3},  # max_tokens has no bounds at all
        {"prompt": "x", "seed": SEED_MAX},
        {"prompt": "\U0001f600" * MAX_CONTENT_CHARS},  # code points, not UTF-16 units
    ],
)
def test_valid_bodies_pass_both_back_ends(body: object) -> None:
    validator = request_validator()
    assert validator.is_valid(body) and validator.is_valid_reference(body)
    assert explain(body) is None


@pytest.mark.parametrize(
    ("body", "pointer", "keyword", "words"),
    [
        (BOTH, "", "oneOf", "Send only one of 'prompt', 'messages'"),
        ({}, "", "oneOf", "Prompt needs 'prompt'; Messages needs 'messages'"),
        ({"prompt": "x", "temperature": 6}, "/temperature", "maximum", "above the maximum of 5"),
        ({"prompt": "x", "seed": 0}, "/seed", "minimum", "below the minimum of 1"),
        ({"prompt": "x", "top_k": 5.5}, "/top_k", "type", "requires an integer"),
        ({"prompt": ""}, "/prompt", "minLength", "fewer than the minimum of 1"),
        ({"prompt": "a" * (MAX_CONTENT_CHARS + 1)}, "/prompt", "maxLength", "131073 characters"),
        ({"messages": [{"content": "x"}]}, "/messages/0", "required", "'role'"),
        ({"messages": [], "tools": [{"foo": 1}]}, "/tools/0", "oneOf", "matches none"),
        ([1], "", "type", "requires an object"),
    ],
)
def test_explain_names_the_violation_and_its_pointer(
    body: object, pointer: str, keyword: str, words: str
) -> None:
    violation = explain(body)
    assert violation is not None
    assert (violation.pointer, violation.keyword) == (pointer, keyword)
    assert words in violation.message


def test_both_prompt_and_messages_is_named_as_a_oneof_problem() -> None:
    violation = explain(BOTH)
    assert violation is not None
    assert violation.where == "/"
    assert "matches 2 branches of oneOf (Prompt and Messages)" in violation.message


def test_result_schema_accepts_object_and_rejects_wrong_types() -> None:
    validator = result_validator()
    assert validator.is_valid({"response": "hi", "tool_calls": [{"name": "f", "arguments": {}}]})
    assert not validator.is_valid({"response": 5})
    assert not validator.is_valid({"tool_calls": [{"name": "f", "arguments": "{}"}]})


def test_envelopes_and_events() -> None:
    assert success_envelope_validator().is_valid(
        {"result": {"response": "x"}, "success": True, "errors": [], "messages": []}
    )
    assert not success_envelope_validator().is_valid({"result": {}, "success": False, "errors": []})
    body = ErrorBody(ErrorCode.BAD_INPUT, "AiError: Bad input").to_json()
    assert error_envelope_validator().is_valid(body)
    assert not error_envelope_validator().is_valid({"success": False, "errors": {"code": 1}})
    assert stream_event_validator().is_valid(
        {"response": "", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}
    )
    assert not stream_event_validator().is_valid({"response": "", "usage": {"prompt_tokens": 1}})


def test_error_codes_carry_their_status() -> None:
    assert ErrorCode.BAD_INPUT.status == 400
    assert ErrorCode.ROUTE_NOT_FOUND.status == 404
    assert ErrorCode.OUT_OF_CAPACITY.status == 429


def test_run_path_keeps_the_model_name_verbatim() -> None:
    assert run_path("abc") == "/accounts/abc/ai/run/@hf/thebloke/llama-2-13b-chat-awq"
