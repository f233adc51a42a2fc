"""The OpenAI-compatible route over real HTTP on loopback: the tiny model for generation, a scripted
engine where exact text matters (stop sequences, tool calls)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract import MODEL, error_envelope_validator
from conformance.server.app import create_app
from conformance.server.embedded import serving
from support.reference_server import ACCOUNT, ScriptedEngine, run_url, tiny_engine

TOKEN = "sesame"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = [{"role": "user", "content": "Why is pizza so good"}]


def v1(base_url: str, route: str = "chat/completions", account: str = ACCOUNT) -> str:
    return f"{base_url}/accounts/{account}/ai/v1/{route}"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(create_app(tiny_engine(), token=TOKEN, max_body_bytes=64 * 1024)) as origin:
        yield origin + "/client/v4"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers=AUTH, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def scripted_url() -> Iterator[str]:
    call = '{"name": "get_weather", "arguments": {"city": "Lisbon"}}'
    # The pieces split the stop sequence "o w" and the tool call, as a real engine may.
    engine = ScriptedEngine(["Hel", "lo", " wor", "ld. ", call[:9], call[9:]])
    with serving(create_app(engine)) as origin:
        yield origin + "/client/v4"


def chat(client: httpx.Client, url: str, **body: Any) -> httpx.Response:
    return client.post(url, json={"model": MODEL, "messages": USER, **body})


def stream(client: httpx.Client, url: str, body: dict[str, Any]) -> list[Any]:
    with client.stream("POST", url, json={"model": MODEL, **body, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = [block.removeprefix("data: ") for block in raw.split("\n\n") if block]
    assert events[-1] == "[DONE]", raw
    return [json.loads(event) for event in events[:-1]]


def streamed_text(chunks: list[Any]) -> str:
    return "".join(
        choice["delta"].get("content", "") if "delta" in choice else choice["text"]
        for chunk in chunks
        for choice in chunk["choices"]
    )


def assert_error(response: httpx.Response, status: int, code: int, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert error_envelope_validator().is_valid(body), body
    assert body["errors"][0]["code"] == code, body
    assert fragment in body["errors"][0]["message"], body


# -- answers -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_chat_completion_object(client: httpx.Client, base_url: str) -> None:
    response = chat(client, v1(base_url), max_tokens=8, seed=5)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == MODEL and isinstance(body["created"], int)
    [choice] = body["choices"]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str)
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert choice["finish_reason"] == ("length" if usage["completion_tokens"] == 8 else "stop")


@pytest.mark.slow
def test_same_engine_as_the_run_route(client: httpx.Client, base_url: str) -> None:
    body = {"max_tokens": 20, "seed": 9999999999, "temperature": 0.9, "top_p": 0.95}
    answer = chat(client, v1(base_url), **body).json()
    run = client.post(run_url(base_url), json={"messages": USER, **body}).json()["result"]
    assert answer["choices"][0]["message"]["content"] == run["response"]
    assert answer["usage"] == run["usage"]


@pytest.mark.slow
def test_streamed_chunks_with_usage_then_done(client: httpx.Client, base_url: str) -> None:
    body = {"messages": USER, "max_tokens": 12, "seed": 3, "stream_options": {"include_usage": True}}
    chunks = stream(client, v1(base_url), body)
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 12
    whole = chat(client, v1(base_url), max_tokens=12, seed=3).json()
    assert streamed_text(chunks) == whole["choices"][0]["message"]["content"]


@pytest.mark.slow
def test_no_usage_chunk_unless_asked(client: httpx.Client, base_url: str) -> None:
    chunks = stream(client, v1(base_url), {"messages": USER, "max_tokens": 4})
    assert all(chunk["choices"] and "usage" not in chunk for chunk in chunks)


@pytest.mark.slow
def test_legacy_completions_continue_raw_text(client: httpx.Client, base_url: str) -> None:
    url = v1(base_url, "completions")
    body = {"model": MODEL, "prompt": "Once upon a time", "max_tokens": 6, "seed": 1}
    whole = client.post(url, json=body).json()
    assert whole["object"] == "text_completion" and whole["id"].startswith("cmpl-")
    raw = client.post(
        run_url(base_url), json={"prompt": "Once upon a time", "raw": True, "max_tokens": 6, "seed": 1}
    )
    assert whole["choices"][0]["text"] == raw.json()["result"]["response"]
    chunks = stream(client, url, {**body, "stream_options": {"include_usage": True}})
    assert streamed_text(chunks) == whole["choices"][0]["text"]
    assert chunks[-1]["usage"] == whole["usage"]


def test_stop_sequence_split_across_pieces(scripted_url: str) -> None:
    url = v1(scripted_url)
    with httpx.Client(timeout=30) as client:
        whole = chat(client, url, stop="o w").json()
        chunks = stream(client, url, {"messages": USER, "stop": ["xyz", "o w"]})
    assert whole["choices"][0]["message"]["content"] == "Hell"
    assert whole["choices"][0]["finish_reason"] == "stop"
    assert streamed_text(chunks) == "Hell" and chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_tool_calls_in_openai_form(scripted_url: str) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "City"}},
            },
        },
    }
    url = v1(scripted_url)
    with httpx.Client(timeout=30) as client:
        whole = chat(client, url, tools=[tool]).json()
        chunks = stream(client, url, {"messages": USER, "tools": [tool]})
        without = chat(client, url, tools=[tool], tool_choice="none").json()
    [call] = whole["choices"][0]["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Lisbon"}
    assert whole["choices"][0]["finish_reason"] == "tool_calls"
    closing = chunks[-1]["choices"][0]
    assert closing["finish_reason"] == "tool_calls" and closing["delta"]["tool_calls"][0]["index"] == 0
    assert without["choices"][0]["finish_reason"] == "stop", "tool_choice none offers no tools"


def test_openai_message_forms_are_accepted(scripted_url: str) -> None:
    messages = [
        {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"city": "Lisbon"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    response = httpx.post(
        v1(scripted_url),
        json={"model": MODEL, "messages": messages, "n": 1, "user": "u", "max_completion_tokens": 5,
              "stop": None, "temperature": None, "response_format": {"type": "text"}},
    )  # fmt: skip
    assert response.status_code == 200, response.text


# -- errors: the Workers AI envelope, never a 5xx ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"messages": USER}, 5006, "'/model'"),
        ({"model": "gpt-4o", "messages": USER}, 5007, "gpt-4o"),
        ({"model": MODEL}, 5006, "messages"),
        ({"model": MODEL, "messages": USER, "n": 2}, 5006, "'/n' is 2"),
        ({"model": MODEL, "messages": USER, "logprobs": True}, 5006, "log probabilities"),
        ({"model": MODEL, "messages": USER, "frequency_penalty": -1}, 5006, "/frequency_penalty"),
        ({"model": MODEL, "messages": USER, "temperature": 6}, 5006, "/temperature"),
        ({"model": MODEL, "messages": USER, "stream": "yes"}, 5006, "/stream"),
        ({"model": MODEL, "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, 5006, "at most 4"),
        ({"model": MODEL, "messages": USER, "response_format": {"type": "json_object"}}, 5006, "free text"),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            5006,
            "text only",
        ),
        ([1, 2], 5006, "JSON array"),
    ],
)
def test_bad_bodies_are_400(client: httpx.Client, base_url: str, body: Any, code: int, fragment: str) -> None:
    assert_error(client.post(v1(base_url), json=body), 400, code, fragment)


@pytest.mark.slow
def test_tool_properties_need_a_description_as_the_schema_says(client: httpx.Client, base_url: str) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "w",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    assert_error(chat(client, v1(base_url), tools=[tool]), 400, 5006, "description")


@pytest.mark.slow
def test_empty_and_malformed_bodies(client: httpx.Client, base_url: str) -> None:
    assert_error(client.post(v1(base_url), content=b""), 400, 3003, "'model' and 'messages'")
    assert_error(client.post(v1(base_url, "completions"), content=b"{"), 400, 5006, "not valid JSON")


@pytest.mark.slow
def test_auth_body_limit_route_and_method(client: httpx.Client, base_url: str) -> None:
    assert_error(httpx.post(v1(base_url), json={"model": MODEL, "messages": USER}), 401, 10000)
    huge = {"model": MODEL, "messages": [{"role": "user", "content": "x" * 70000}]}
    assert_error(client.post(v1(base_url), json=huge), 413, 3006)
    assert_error(client.post(base_url + f"/accounts/{ACCOUNT}/ai/v1/embeddings", json={}), 404, 7003)
    assert_error(client.get(v1(base_url)), 405, 7001)


def test_a_configured_account_is_the_only_one_routed() -> None:
    with serving(create_app(ScriptedEngine(["ok"]), account_id=ACCOUNT)) as origin:
        other = httpx.post(
            v1(origin + "/client/v4", account="other"), json={"model": MODEL, "messages": USER}
        )
        mine = httpx.post(v1(origin + "/client/v4"), json={"model": MODEL, "messages": USER})
    assert_error(other, 404, 7003, "/accounts/other/ai/v1/chat/completions")
    assert mine.status_code == 200


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(
    ["messages", "max_tokens", "max_completion_tokens", "temperature", "stop", "stream", "stream_options",
     "tools", "tool_choice", "n", "seed", "logprobs", "response_format", "prompt", "echo", "best_of"]
)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=_fields, value=_json, chat_route=st.booleans())
def test_one_arbitrary_field_never_gets_5xx(
    scripted_url: str, field: str, value: Any, chat_route: bool
) -> None:
    body: dict[str, Any] = (
        {"model": MODEL, "messages": USER} if chat_route else {"model": MODEL, "prompt": "x"}
    )
    body[field] = value
    response = httpx.post(v1(scripted_url, "chat/completions" if chat_route else "completions"), json=body)
    assert response.status_code in (200, 400), (body, response.text)
    if response.status_code == 400:
        assert error_envelope_validator().is_valid(response.json())
