"""The openai engine: our server forwarding to an OpenAI-compatible upstream over real loopback HTTP.

The upstream is tests/support/openai_upstream.py, which stands in for vLLM (no vLLM
runs on this CPU machine): the tiny model behind vLLM's completions route
and its refusals. Through it, our server must answer as it does with the
model in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from conformance.contract import error_envelope_validator
from conformance.errors import TargetError
from conformance.server.app import create_app
from conformance.server.embedded import serving
from conformance.server.engines.openai_engine import OpenAIEngine
from conformance.transport.sse import SSEDecoder
from support.openai_upstream import MODEL, OpenAIUpstream, running_upstream
from support.reference_server import run_url, tiny_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[OpenAIUpstream, str]]:
    stand_in = OpenAIUpstream(tiny_engine(), api_key="upstream-key")
    with running_upstream(stand_in) as url:
        yield stand_in, url


@pytest.fixture(scope="module")
def through(upstream: tuple[OpenAIUpstream, str]) -> Iterator[str]:
    """Our server's run URL, its engine forwarding to the stand-in."""
    engine = OpenAIEngine.connect(upstream[1], api_key="upstream-key")
    with serving(create_app(engine)) as origin:
        yield run_url(origin + "/client/v4")
    engine.close()


@pytest.fixture(scope="module")
def direct() -> Iterator[str]:
    """The same tiny model served in-process, to compare with."""
    with serving(create_app(tiny_engine())) as origin:
        yield run_url(origin + "/client/v4")


def streamed_text(url: str, body: dict[str, object]) -> tuple[str, dict[str, object]]:
    decoder = SSEDecoder()
    with httpx.stream("POST", url, json={**body, "stream": True}, timeout=60) as response:
        assert response.status_code == 200
        events = [event for chunk in response.iter_raw() for event in decoder.feed(chunk)]
    assert events[-1].data == "[DONE]"
    payloads = [json.loads(event.data) for event in events[:-1]]
    return "".join(p["response"] for p in payloads), payloads[-1]["usage"]


def test_connect_reads_the_model_and_window_from_the_upstream(upstream: tuple[OpenAIUpstream, str]) -> None:
    engine = OpenAIEngine.connect(upstream[1], api_key="upstream-key")
    assert engine.model == MODEL and engine.context_window == tiny_engine().context_window
    assert engine.name == f"openai ({MODEL} at {upstream[1]})"
    engine.close()


def test_connect_refusals_say_why(upstream: tuple[OpenAIUpstream, str]) -> None:
    with pytest.raises(TargetError, match=r"answered GET .*/models with 401"):
        OpenAIEngine.connect(upstream[1])
    with pytest.raises(TargetError, match="does not serve 'other'"):
        OpenAIEngine.connect(upstream[1], "other", api_key="upstream-key")
    with pytest.raises(TargetError, match="cannot be reached"):
        OpenAIEngine.connect("http://127.0.0.1:9/v1")


def test_answers_match_the_model_in_process_streamed_and_not(through: str, direct: str) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    for body in ({"prompt": "Tell me a story", "max_tokens": 12}, {"messages": messages, "max_tokens": 9}):
        greedy = {**body, "temperature": 0}
        expected = httpx.post(direct, json=greedy, timeout=60).json()["result"]
        got = httpx.post(through, json=greedy, timeout=60).json()["result"]
        assert got == expected
        assert streamed_text(through, greedy) == (expected["response"], expected["usage"])


def test_every_parameter_reaches_the_upstream_mapped(
    through: str, upstream: tuple[OpenAIUpstream, str]
) -> None:
    body = {
        "prompt": "Hi",
        "max_tokens": 5,
        "temperature": 4.5,
        "top_p": 0.5,
        "top_k": 7,
        "seed": 9999999999,
        "repetition_penalty": 1.3,
        "frequency_penalty": 0.4,
        "presence_penalty": 0.2,
    }
    assert httpx.post(through, json=body, timeout=60).status_code == 200
    sent = upstream[0].received[-1]
    assert sent["prompt"] == "[INST] Hi [/INST]", "the upstream adds BOS itself"
    assert sent["model"] == MODEL and sent["stream"] is True
    expected = {key: value for key, value in body.items() if key != "prompt"} | {"temperature": 2.0}
    assert {key: sent[key] for key in expected} == expected, "temperature capped at 2, the rest exact"
    httpx.post(through, json={"prompt": "Hi", "max_tokens": 3}, timeout=60)
    plain = upstream[0].received[-1]
    assert (plain["top_p"], plain["frequency_penalty"], plain["presence_penalty"]) == (1.0, 0.0, 0.0)
    assert not {"top_k", "repetition_penalty"} & plain.keys(), "non-OpenAI fields only when set"
    assert 1 <= plain["seed"] <= 9999999999, "a fresh seed per request, in the schema's range"


def test_the_same_seed_gives_the_same_text_through_the_upstream(through: str) -> None:
    body = {"prompt": "Hello", "max_tokens": 16, "temperature": 1.5, "seed": 123}
    first = httpx.post(through, json=body, timeout=60).json()["result"]["response"]
    assert httpx.post(through, json=body, timeout=60).json()["result"]["response"] == first
    assert streamed_text(through, body)[0] == first


def test_zero_max_tokens_is_answered_without_the_upstream(through: str) -> None:
    result = httpx.post(through, json={"prompt": "Hi", "max_tokens": 0}, timeout=60).json()["result"]
    assert result["response"] == "" and result["usage"]["completion_tokens"] == 0


def test_a_prompt_beyond_the_upstream_window_is_a_413(through: str) -> None:
    response = httpx.post(through, json={"prompt": "word " * 5000}, timeout=60)
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["code"] == 3006 and "maximum context length" in error["message"]


@pytest.mark.parametrize("status", [500, 401])
def test_an_upstream_failure_is_a_502_not_the_clients_fault(status: int) -> None:
    stand_in = OpenAIUpstream(tiny_engine())
    with running_upstream(stand_in) as url:
        engine = OpenAIEngine.connect(url)
        stand_in.fail_with = status
        with serving(create_app(engine)) as origin:
            for stream in (False, True):
                response = httpx.post(run_url(origin + "/client/v4"), json={"prompt": "x", "stream": stream})
                assert response.status_code == 502
                assert error_envelope_validator().is_valid(response.json())
                assert f"the upstream answered {status}" in response.json()["errors"][0]["message"]
        engine.close()


def test_an_upstream_that_went_away_is_a_502() -> None:
    with running_upstream(OpenAIUpstream(tiny_engine())) as url:
        engine = OpenAIEngine.connect(url)
    with serving(create_app(engine)) as origin:
        response = httpx.post(run_url(origin + "/client/v4"), json={"prompt": "x"})
    engine.close()
    assert response.status_code == 502
    assert "failed" in response.json()["errors"][0]["message"]


def test_an_upstream_failing_mid_stream_is_a_502_or_a_truncated_stream() -> None:
    stand_in = OpenAIUpstream(tiny_engine())
    stand_in.fail_mid_stream = True
    with running_upstream(stand_in) as url:
        engine = OpenAIEngine.connect(url)
        with serving(create_app(engine)) as origin:
            url = run_url(origin + "/client/v4")
            body = {"prompt": "x", "max_tokens": 20, "seed": 1}
            whole = httpx.post(url, json=body)
            with httpx.stream("POST", url, json={**body, "stream": True}) as response:
                status = response.status_code
                with pytest.raises(httpx.RemoteProtocolError):
                    response.read()
        engine.close()
    assert whole.status_code == 502 and error_envelope_validator().is_valid(whole.json())
    assert "engine died" in whole.json()["errors"][0]["message"]
    assert status == 200, "the status went with the first piece; truncation is how the failure shows"


def test_the_openai_engine_needs_no_torch() -> None:
    # It is what the base install (no extras) serves.
    code = (
        "import sys\n"
        "import conformance.cli._engines, conformance.server.app\n"
        "import conformance.server.engines.openai_engine\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
