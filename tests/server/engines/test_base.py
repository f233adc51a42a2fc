"""The engine interface's values."""

from __future__ import annotations

import pytest

from conformance.server.engines.base import (
    Cancellation,
    ChatMessage,
    GenerationRequest,
    ToolCall,
    UnknownAdapter,
    Usage,
)


def test_request_needs_exactly_one_of_prompt_and_messages() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        GenerationRequest()
    with pytest.raises(ValueError, match="exactly one"):
        GenerationRequest(prompt="x", messages=(ChatMessage("user", "y"),))
    assert GenerationRequest(messages=()).messages == ()


def test_usage_totals_and_serialises() -> None:
    assert Usage(3, 4).to_json() == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_tool_call_serialises_to_the_output_schema_shape() -> None:
    assert ToolCall("f", {"a": 1}).to_json() == {"name": "f", "arguments": {"a": 1}}


def test_cancellation_is_sticky() -> None:
    cancellation = Cancellation()
    assert not cancellation.cancelled
    cancellation.cancel()
    cancellation.cancel()
    assert cancellation.cancelled


def test_unknown_adapter_names_the_adapter_and_what_is_loaded() -> None:
    assert "'mine' is not loaded on this server (loaded: none)" in str(UnknownAdapter("mine", frozenset()))
