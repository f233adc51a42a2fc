"""The reference server's HTTP layer, over real HTTP on loopback, with the tiny model behind it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract import (
    MODEL,
    error_envelope_validator,
    stream_event_validator,
    success_envelope_validator,
    usage_validator,
)
from conformance.server.app import create_app
from conformance.server.embedded import serving
from conformance.server.engines.base import Cancellation, Event, GenerationRequest
from support.reference_server import ACCOUNT, RecordingEngine, ScriptedEngine, run_url, tiny_engine

pytestmark = pytest.mark.slow

TOKEN = "sesame"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(tiny_engine(), token=TOKEN, max_body_bytes=4 * 1024 * 1024)
    with serving(app) as origin:
        yield origin + "/client/v4"


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def url(base_url: str) -> str:
    return run_url(base_url)


def post(client: httpx.Client, url: str, body: Any) -> httpx.Response:
    return client.post(url, json=body)


def stream_events(client: httpx.Client, url: str, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    with client.stream("POST", url, json={**body, "stream": True}) as response:
        raw = response.read().decode()
    assert raw.endswith("\n\n")
    events = [block for block in raw.split("\n\n") if block]
    assert all(block.startswith("data: ") for block in events), raw
    return response, [block[len("data: ") :] for block in events]


def assert_error(response: httpx.Response, status: int, code: int, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert error_envelope_validator().is_valid(body), body
    assert body["result"] == {} and body["messages"] == []
    assert body["errors"][0]["code"] == code, body
    assert fragment in body["errors"][0]["message"], body


# -- success ---------------------------------------------------------------------------------


def test_success_envelope_with_usage(client: httpx.Client, url: str) -> None:
    response = post(client, url, {"prompt": "Hello", "max_tokens": 8})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert success_envelope_validator().is_valid(body), body
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert isinstance(body["result"]["response"], str)
    assert usage_validator().is_valid(body["result"]["usage"])
    usage = body["result"]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_stream_framing_padding_usage_and_done(client: httpx.Client, url: str) -> None:
    response, events = stream_events(client, url, {"prompt": "Hello", "max_tokens": 12, "seed": 3})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in response.headers
    assert events[-1] == "[DONE]"
    payloads = [json.loads(data) for data in events[:-1]]
    assert all(stream_event_validator().is_valid(p) for p in payloads)
    assert all(p["p"] for p in payloads[:-1]), "every text event carries padding"
    assert len({len(p["p"]) for p in payloads[:-1]}) > 1
    assert payloads[-1]["response"] == ""
    assert payloads[-1]["usage"]["completion_tokens"] == 12


def test_same_seed_same_text_streamed_or_not(client: httpx.Client, url: str) -> None:
    body = {
        "messages": [{"role": "user", "content": "Why is pizza so good"}],
        "max_tokens": 30,
        "seed": 9999999999,
    }
    whole = post(client, url, body).json()["result"]
    _, events = stream_events(client, url, body)
    streamed = "".join(json.loads(data)["response"] for data in events[:-1])
    assert streamed == whole["response"]
    assert json.loads(events[-2])["usage"] == whole["usage"]


def test_temperature_zero_is_deterministic_over_http(client: httpx.Client, url: str) -> None:
    body = {"prompt": "Tell me all about PEP-8", "temperature": 0, "max_tokens": 20}
    assert post(client, url, body).json()["result"] == post(client, url, body).json()["result"]


@pytest.mark.parametrize("limit", [1, 5, 17])
def test_max_tokens_bounds_completion_tokens(client: httpx.Client, url: str, limit: int) -> None:
    usage = post(client, url, {"prompt": "Hello", "max_tokens": limit}).json()["result"]["usage"]
    assert usage["completion_tokens"] <= limit


def test_default_max_tokens_is_256(client: httpx.Client, url: str) -> None:
    usage = post(client, url, {"prompt": "Hello", "temperature": 0}).json()["result"]["usage"]
    assert usage["completion_tokens"] == 256


@pytest.mark.parametrize("limit", [0, -1, 5.0 - 5.0])
def test_zero_or_negative_max_tokens_is_an_empty_answer(client: httpx.Client, url: str, limit: float) -> None:
    response = post(client, url, {"prompt": "Hello", "max_tokens": limit})
    assert response.status_code == 200
    assert response.json()["result"]["response"] == ""
    assert response.json()["result"]["usage"]["completion_tokens"] == 0


def test_zero_max_tokens_stream_is_closing_event_and_done(client: httpx.Client, url: str) -> None:
    response, events = stream_events(client, url, {"prompt": "Hello", "max_tokens": 0})
    assert response.status_code == 200
    assert events[-1] == "[DONE]" and len(events) == 2
    assert json.loads(events[0])["usage"]["completion_tokens"] == 0


def test_raw_skips_the_template(client: httpx.Client, url: str) -> None:
    templated = post(client, url, {"prompt": "Hi", "max_tokens": 1}).json()["result"]["usage"]
    raw = post(client, url, {"prompt": "Hi", "raw": True, "max_tokens": 1}).json()["result"]["usage"]
    # "<s>[INST] Hi [/INST]" against "Hi": the template adds tokens.
    assert raw["prompt_tokens"] < templated["prompt_tokens"]


def test_maximal_prompts_are_truncated_not_refused(client: httpx.Client, url: str) -> None:
    for prompt in ("a" * 131072, "\U0001f600" * 131072):
        started = time.monotonic()
        response = post(client, url, {"prompt": prompt, "max_tokens": 4})
        assert response.status_code == 200, response.text
        assert response.json()["result"]["usage"]["prompt_tokens"] <= tiny_engine().context_window
        assert time.monotonic() - started < 30
    messages = [{"role": "user", "content": "b" * 131072}] * 3
    assert post(client, url, {"messages": messages, "max_tokens": 2}).status_code == 200


def test_a_flat_tool_with_a_junk_function_member_is_answered(client: httpx.Client, url: str) -> None:
    # What st run found (a 500): the flat form with a `function` member it does not describe.
    tool = {"name": "t", "description": "", "parameters": {"type": "object", "properties": {}}}
    tools = [{**tool, "function": {"parameters": True}}]
    messages = [{"role": "user", "content": "Hi"}]
    response = post(client, url, {"messages": messages, "tools": tools, "max_tokens": 2})
    assert response.status_code == 200, response.text


def test_offered_tools_without_a_call_give_a_plain_answer(client: httpx.Client, url: str) -> None:
    tool = {
        "name": "get_weather",
        "description": "Weather",
        "parameters": {"type": "object", "properties": {}},
    }
    body = {"messages": [{"role": "user", "content": "Weather?"}], "tools": [tool], "max_tokens": 4}
    result = post(client, url, body).json()["result"]
    assert "tool_calls" not in result and isinstance(result["response"], str)


# -- errors ------------------------------------------------------------------------------------


def test_malformed_json_is_5006(client: httpx.Client, url: str) -> None:
    assert_error(client.post(url, content=b'{"prompt": '), 400, 5006, "not valid JSON")


def test_empty_body_is_3003(client: httpx.Client, url: str) -> None:
    assert_error(client.post(url, content=b""), 400, 3003, "no body")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prompt": "x", "temperature": 6}, "maximum at /temperature"),
        ({"prompt": "x", "top_k": 51}, "maximum at /top_k"),
        ({"prompt": "x", "seed": 10000000000}, "maximum at /seed"),
        ({"prompt": "x", "max_tokens": "many"}, "type at /max_tokens"),
        ({"prompt": "x" * 131073}, "maxLength at /prompt"),
        ({"messages": [{"role": "user", "content": 3}]}, "type at /messages/0/content"),
        ({"prompt": "x", "messages": [{"role": "user", "content": "y"}]}, "oneOf at /"),
        ({}, "oneOf at /"),
        ([1, 2], "type at /"),
    ],
)
def test_schema_invalid_bodies_are_5006_with_pointer(
    client: httpx.Client, url: str, body: Any, fragment: str
) -> None:
    assert_error(post(client, url, body), 400, 5006, fragment)


def test_unknown_model_is_5007(client: httpx.Client, base_url: str) -> None:
    for model in ("@cf/meta/llama-2-7b-chat-fp16", "nope"):
        response = client.post(run_url(base_url, model=model), json={"prompt": "x"})
        assert_error(response, 400, 5007, model)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/client/v4",
        "/client/v4/accounts/x/ai/run",
        "/client/v4/accounts/x/ai/models",
        "/client/v3/accounts/x/ai/run/m",
    ],
)
def test_unknown_routes_are_404_7003(client: httpx.Client, base_url: str, path: str) -> None:
    origin = base_url.removesuffix("/client/v4")
    assert_error(client.post(origin + path, json={"prompt": "x"}), 404, 7003, "Could not route")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client: httpx.Client, url: str, method: str) -> None:
    response = client.request(method, url)
    assert_error(response, 405, 7001, method)
    assert "POST" in response.headers["allow"]


def test_missing_wrong_or_malformed_token_is_401_10000(base_url: str, url: str) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": "Basic x"},
    ):
        response = httpx.post(url, json={"prompt": "x"}, headers=headers)
        assert_error(response, 401, 10000, "Authentication error")


def test_lora_naming_an_unloaded_adapter_is_405_5005(client: httpx.Client, url: str) -> None:
    assert_error(post(client, url, {"prompt": "x", "lora": "my-adapter"}), 405, 5005, "'my-adapter'")
    assert_error(post(client, url, {"prompt": "x", "lora": "my-adapter", "stream": True}), 405, 5005)


def test_bodies_over_the_limit_are_413_3006() -> None:
    with serving(create_app(tiny_engine(), max_body_bytes=1000)) as origin:
        url = run_url(origin + "/client/v4")
        body = {"prompt": "x" * 2000}
        assert_error(httpx.post(url, json=body), 413, 3006, "1000 bytes")
        chunked = httpx.post(
            url, content=iter([json.dumps(body).encode()[i : i + 100] for i in range(0, 2020, 100)])
        )
        assert_error(chunked, 413, 3006)
        assert httpx.post(url, json={"prompt": "x", "max_tokens": 1}).status_code == 200


def test_configured_account_routes_only_that_account() -> None:
    with serving(create_app(tiny_engine(), account_id=ACCOUNT)) as origin:
        base = origin + "/client/v4"
        assert httpx.post(run_url(base), json={"prompt": "x", "max_tokens": 1}).status_code == 200
        assert_error(httpx.post(run_url(base, account="other"), json={"prompt": "x"}), 404, 7003)


# -- fuzz: no client mistake gets a 5xx ----------------------------------------------------------


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=16,
)
bad_fields = st.sampled_from(
    [
        "temperature",
        "top_p",
        "top_k",
        "seed",
        "max_tokens",
        "repetition_penalty",
        "frequency_penalty",
        "presence_penalty",
        "raw",
        "stream",
        "lora",
        "image",
        "prompt",
        "messages",
        "tools",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_random_bytes_never_get_5xx(client: httpx.Client, url: str, raw: bytes) -> None:
    assert client.post(url, content=raw).status_code < 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=bad_fields, value=json_values, messages=st.booleans())
def test_bodies_with_one_arbitrary_field_never_get_5xx(
    client: httpx.Client, url: str, field: str, value: Any, messages: bool
) -> None:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "x"}]} if messages else {"prompt": "x"}
    body |= {"max_tokens": 2, field: value}
    response = client.post(url, json=body)
    assert response.status_code in (200, 400, 405), (body, response.text)
    if response.status_code != 200:
        assert error_envelope_validator().is_valid(response.json())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_arbitrary_json_never_gets_5xx(client: httpx.Client, url: str, value: Any) -> None:
    response = client.post(url, json=value)
    assert response.status_code in (200, 400), (value, response.text)


# -- concurrency and disconnects ---------------------------------------------------------------


def test_many_simultaneous_requests_and_streams(client: httpx.Client, url: str) -> None:
    def one(index: int) -> bool:
        body = {"prompt": f"Hello {index}", "max_tokens": 16, "seed": index + 1}
        if index % 2:
            response, events = stream_events(client, url, body)
            return response.status_code == 200 and events[-1] == "[DONE]"
        response = post(client, url, body)
        return response.status_code == 200 and response.json()["success"] is True

    with ThreadPoolExecutor(max_workers=24) as pool:
        assert all(pool.map(one, range(48)))


def test_client_disconnecting_mid_stream_stops_generation() -> None:
    engine = RecordingEngine(tiny_engine(), delay_s=0.01)
    with serving(create_app(engine)) as origin:
        url = run_url(origin + "/client/v4")
        body = {"prompt": "Hello", "max_tokens": 10_000, "stream": True}
        with httpx.stream("POST", url, json=body, timeout=30) as response:
            lines = response.iter_lines()
            next(lines)
            next(lines)
        assert engine.done.wait(5), "generation kept running after the client left"
    finished = engine.finished[-1]
    assert finished.stop_reason == "cancelled"
    assert finished.usage.completion_tokens < 200


def test_client_leaving_a_non_streamed_request_stops_generation() -> None:
    engine = RecordingEngine(tiny_engine(), delay_s=0.01)
    with serving(create_app(engine)) as origin:
        url = run_url(origin + "/client/v4")
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(url, json={"prompt": "Hello", "max_tokens": 10_000}, timeout=0.5)
        assert engine.done.wait(5), "generation kept running after the client left"
    assert engine.finished[-1].stop_reason == "cancelled"
    assert engine.finished[-1].usage.completion_tokens < 300


# -- tool calls (a scripted engine: the random tiny model never calls a tool) ---------------------


def test_tool_call_in_the_output_becomes_tool_calls() -> None:
    call = '{"name": "get_weather", "arguments": {"city": "Lisbon"}}'
    engine = ScriptedEngine([call[:20], call[20:]])
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    body = {"messages": [{"role": "user", "content": "Weather in Lisbon?"}], "tools": [tool]}
    with serving(create_app(engine)) as origin:
        url = run_url(origin + "/client/v4")
        result = httpx.post(url, json=body).json()["result"]
        with httpx.stream("POST", url, json={**body, "stream": True}) as response:
            events = [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]
        with_lora = httpx.post(url, json={"prompt": "x", "lora": "loaded-adapter"})
    expected = [{"name": "get_weather", "arguments": {"city": "Lisbon"}}]
    assert result["tool_calls"] == expected and result["response"] == call
    assert json.loads(events[-2])["tool_calls"] == expected and events[-1] == "[DONE]"
    assert with_lora.status_code == 200, "an adapter the engine has loaded is accepted"


def test_model_name_is_configurable() -> None:
    with serving(create_app(ScriptedEngine(["ok"]), model="@cf/meta/llama-2-7b-chat-fp16")) as origin:
        base = origin + "/client/v4"
        assert (
            httpx.post(run_url(base, model="@cf/meta/llama-2-7b-chat-fp16"), json={"prompt": "x"}).status_code
            == 200
        )
        assert_error(httpx.post(run_url(base, model=MODEL), json={"prompt": "x"}), 400, 5007)


class _MeetingEngine:
    """Holds every generation after its first event until ``parties`` generations are running at once.

    A server that served streams one after another could never bring them
    together: the meeting would time out. Order-based, so a busy machine
    cannot fail it.
    """

    def __init__(self, inner: Any, parties: int) -> None:
        self.inner = inner
        self.meeting = threading.Barrier(parties, timeout=60)
        self.met: list[bool] = []

    @property
    def name(self) -> str:
        return self.inner.name  # type: ignore[no-any-return]

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset(self.inner.adapters)

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        for index, event in enumerate(self.inner.generate(request, cancellation)):
            if index == 1:
                try:
                    self.meeting.wait()
                    self.met.append(True)
                except threading.BrokenBarrierError:
                    self.met.append(False)
            yield event


def test_concurrent_streams_interleave_rather_than_queue() -> None:
    engine = _MeetingEngine(tiny_engine(), parties=4)
    with serving(create_app(engine)) as origin:
        url = run_url(origin + "/client/v4")

        def one(_: int) -> list[str]:
            body = {"prompt": "Hi", "max_tokens": 20, "temperature": 0, "stream": True}
            with httpx.stream("POST", url, json=body, timeout=120) as r:
                return list(r.iter_lines())

        with ThreadPoolExecutor(max_workers=4) as pool:
            streams = list(pool.map(one, range(4)))
    assert engine.met == [True] * 4, "four streams were never generating at the same time"
    assert all("data: [DONE]" in lines for lines in streams), "every stream ran to its end"


@pytest.fixture(scope="module")
def valid_bodies() -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    from conformance.contract import load_schema

    return from_schema(load_schema("input.json"))


def test_schema_valid_bodies_are_answered(client: httpx.Client, url: str, valid_bodies: Any) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=valid_bodies)
    def check(body: Any) -> None:
        # Keep answers short; a lora name is refused by design (no adapters are loaded).
        body = {**body, "max_tokens": min(int(body.get("max_tokens", 4)), 4)}
        expected = 405 if isinstance(body.get("lora"), str) else 200
        response = client.post(url, json=body)
        assert response.status_code == expected, (body, response.text)
        if response.status_code == 200 and body.get("stream") is not True:
            assert success_envelope_validator().is_valid(response.json())
        elif response.status_code == 200:
            assert response.text.endswith("data: [DONE]\n\n")

    check()


class _FailingEngine(ScriptedEngine):
    """Fails after its pieces: a server bug, not a client mistake."""

    def generate(self, request: Any, cancellation: Any) -> Iterator[Any]:
        yield from list(super().generate(request, cancellation))[:-1]
        raise RuntimeError("engine exploded")


def test_engine_failure_is_a_500_envelope_or_a_stream_without_done() -> None:
    with serving(create_app(_FailingEngine(["partial"]))) as origin:
        url = run_url(origin + "/client/v4")
        whole = httpx.post(url, json={"prompt": "x"})
        with httpx.stream("POST", url, json={"prompt": "x", "stream": True}) as response:
            status = response.status_code
            with pytest.raises(httpx.RemoteProtocolError):
                response.read()
    assert whole.status_code == 500
    assert whole.json()["errors"][0]["code"] == 5000
    assert error_envelope_validator().is_valid(whole.json())
    assert status == 200, "the status was sent with the first piece; truncation is how the failure shows"


def test_engine_refusing_before_output_gets_an_envelope() -> None:
    from conformance.server.engines.base import EngineError

    class Refusing(ScriptedEngine):
        def generate(self, request: Any, cancellation: Any) -> Iterator[Any]:
            raise EngineError("this engine refuses")

    with serving(create_app(Refusing([]))) as origin:
        url = run_url(origin + "/client/v4")
        for stream in (False, True):
            assert_error(httpx.post(url, json={"prompt": "x", "stream": stream}), 400, 5006, "refuses")
