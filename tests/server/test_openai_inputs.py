"""OpenAI request bodies judged by the same schema as the run route, translated into a GenerationRequest."""

from __future__ import annotations

import json
from typing import Any

from conformance.contract import MODEL, ErrorBody
from conformance.server.engines.base import ChatMessage
from conformance.server.openai_inputs import OpenAIRequest, parse_chat_body, parse_completion_body

USER = [{"role": "user", "content": "Hi"}]


def chat(**body: Any) -> OpenAIRequest | ErrorBody:
    return parse_chat_body(json.dumps({"model": MODEL, "messages": USER, **body}).encode(), MODEL)


def test_shared_parameters_reach_the_generation_request() -> None:
    parsed = chat(
        max_tokens=9, temperature=0.2, top_p=0.5, seed=9999999999, frequency_penalty=1, presence_penalty=0.5
    )
    assert isinstance(parsed, OpenAIRequest)
    request = parsed.request
    assert (request.max_tokens, request.temperature, request.top_p, request.seed) == (9, 0.2, 0.5, 9999999999)
    assert (request.frequency_penalty, request.presence_penalty) == (1.0, 0.5)
    assert request.messages == (ChatMessage("user", "Hi"),) and not parsed.stream


def test_max_completion_tokens_wins_and_null_means_left_out() -> None:
    parsed = chat(max_tokens=5, max_completion_tokens=7, temperature=None, stop=None)
    assert isinstance(parsed, OpenAIRequest)
    assert parsed.request.max_tokens == 7 and parsed.request.temperature == 0.6 and parsed.stops == ()


def test_stream_usage_and_stops() -> None:
    parsed = chat(stream=True, stream_options={"include_usage": True}, stop="\n")
    assert isinstance(parsed, OpenAIRequest)
    assert parsed.stream and parsed.include_usage and parsed.stops == ("\n",)


def test_text_parts_developer_role_and_earlier_tool_calls_become_text() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "w", "arguments": '{"city": "Lisbon"}'}}
    messages = [
        {
            "role": "developer",
            "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}],
        },
        {"role": "assistant", "content": None, "tool_calls": [call]},
    ]
    parsed = parse_chat_body(json.dumps({"model": MODEL, "messages": messages}).encode(), MODEL)
    assert isinstance(parsed, OpenAIRequest)
    assert parsed.request.messages == (
        ChatMessage("system", "Be brief."),
        ChatMessage("assistant", '{"name": "w", "arguments": {"city": "Lisbon"}}'),
    )


def test_legacy_completion_is_a_raw_prompt() -> None:
    body = {"model": MODEL, "prompt": ["Once upon"], "max_tokens": 3}
    parsed = parse_completion_body(json.dumps(body).encode(), MODEL)
    assert isinstance(parsed, OpenAIRequest)
    assert parsed.request.prompt == "Once upon" and parsed.request.raw and parsed.request.max_tokens == 3


def test_refusals_name_the_parameter() -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"n": 3}, 5006, "'/n' is 3"),
        ({"top_logprobs": 2}, 5006, "log probabilities"),
        ({"logit_bias": {"1": 5}}, 5006, "logit_bias"),
        ({"stream_options": {"include_usage": "yes"}}, 5006, "include_usage"),
        ({"stop": [1]}, 5006, "'/stop'"),
        ({"presence_penalty": -0.5}, 5006, "/presence_penalty"),
        ({"model": "@cf/meta/llama-2-7b-chat-fp16"}, 5007, "@cf/meta/llama-2-7b-chat-fp16"),
    ]
    for extra, code, fragment in cases:
        parsed = chat(**extra)
        assert isinstance(parsed, ErrorBody) and int(parsed.code) == code, (extra, parsed)
        assert fragment in parsed.message, (extra, parsed.message)


def test_bodies_that_are_not_objects_or_not_json() -> None:
    for raw, fragment in [(b"", "has no body"), (b"[]", "JSON array"), (b"{", "not valid JSON")]:
        parsed = parse_chat_body(raw, MODEL)
        assert isinstance(parsed, ErrorBody) and fragment in parsed.message
    echo = parse_completion_body(json.dumps({"model": MODEL, "prompt": "x", "echo": True}).encode(), MODEL)
    assert isinstance(echo, ErrorBody) and "echo" in echo.message
