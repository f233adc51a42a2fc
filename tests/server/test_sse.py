"""The bytes of a streamed run."""

from __future__ import annotations

import json

from conformance.server import sse
from conformance.server.engines.base import ToolCall, Usage


def _payload(chunk: bytes) -> dict[str, object]:
    assert chunk.startswith(b"data: ") and chunk.endswith(b"\n\n")
    value = json.loads(chunk[len(b"data: ") : -2])
    assert isinstance(value, dict)
    return value


def test_text_event_carries_response_and_padding() -> None:
    payload = _payload(sse.text_event("Hello"))
    assert payload["response"] == "Hello"
    assert isinstance(payload["p"], str) and payload["p"]
    assert "abcdefghijklmnopqrstuvwxyz0123456789".startswith(payload["p"][:36])


def test_padding_length_varies() -> None:
    assert len({len(sse.padding()) for _ in range(200)}) > 10


def test_line_breaking_characters_are_escaped_inside_the_json() -> None:
    chunk = sse.text_event("a\u2028b\nc\rd\u0085e")
    assert chunk.count(b"\n") == 2 and b"\r" not in chunk
    assert _payload(chunk)["response"] == "a\u2028b\nc\rd\u0085e"


def test_closing_event_carries_usage_and_tool_calls() -> None:
    payload = _payload(sse.closing_event(Usage(5, 2), [ToolCall("f", {"x": 1})]))
    assert payload == {
        "response": "",
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        "tool_calls": [{"name": "f", "arguments": {"x": 1}}],
    }
    assert "tool_calls" not in _payload(sse.closing_event(Usage(1, 1)))


def test_done_marker() -> None:
    assert sse.DONE == b"data: [DONE]\n\n"
