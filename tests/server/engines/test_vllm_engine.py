"""The vllm engine, driven against a stand-in `vllm` package (tests/support/vllm_stand_in).

vLLM needs a CUDA GPU and cannot be installed on this CPU machine, so the
stand-in, put on sys.path by this module only, has vLLM's public API as the
engine uses it (AsyncEngineArgs, AsyncLLMEngine.from_engine_args, async
generate with delta outputs, SamplingParams with vLLM's bounds). These tests
prove the mapping, streaming, cancellation and HTTP path against that
interface; they do not prove anything runs on a GPU.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.server.app import create_app
from conformance.server.embedded import serving
from conformance.server.engines.base import Cancellation, ChatMessage, Finished, GenerationRequest, Piece
from support.reference_server import run_url, tiny_model_path

pytestmark = pytest.mark.slow

STAND_IN = Path(__file__).parents[2] / "support" / "vllm_stand_in"


@pytest.fixture(scope="module")
def vllm() -> Iterator[Any]:
    sys.path.insert(0, str(STAND_IN))
    import vllm as stand_in

    assert Path(stand_in.__file__).is_relative_to(STAND_IN)
    yield stand_in
    sys.path.remove(str(STAND_IN))
    for name in [n for n in sys.modules if n == "vllm" or n.startswith("vllm.")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def engine(vllm: Any) -> Any:
    from conformance.server.engines.vllm_engine import VLLMEngine

    return VLLMEngine.load(tiny_model_path())


def run(
    engine: Any, request: GenerationRequest, cancellation: Cancellation | None = None
) -> tuple[list[str], Finished]:
    events = list(engine.generate(request, cancellation or Cancellation()))
    assert isinstance(events[-1], Finished)
    return [e.text for e in events if isinstance(e, Piece)], events[-1]


def test_a_plain_checkpoint_is_served_unquantized(engine: Any, vllm: Any) -> None:
    assert vllm.CREATED[-1].args.model == str(tiny_model_path())
    assert vllm.CREATED[-1].args.quantization is None
    assert engine.name == f"vllm ({tiny_model_path()})"
    assert engine.context_window == 1024


def test_an_awq_checkpoint_gets_awq_marlin_unless_told_otherwise(vllm: Any, tmp_path: Path) -> None:
    from conformance.server.engines.vllm_engine import VLLMEngine

    checkpoint = tmp_path / "awq"
    shutil.copytree(tiny_model_path(), checkpoint)
    config = json.loads((checkpoint / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"}
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert "quantization=awq_marlin" in VLLMEngine.load(checkpoint).name
    assert vllm.CREATED[-1].args.quantization == "awq_marlin"
    VLLMEngine.load(checkpoint, quantization="awq", max_model_len=512)
    assert (vllm.CREATED[-1].args.quantization, vllm.CREATED[-1].args.max_model_len) == ("awq", 512)


def test_every_parameter_is_mapped_within_vllms_bounds(engine: Any) -> None:
    request = GenerationRequest(
        prompt="Hi",
        temperature=4.5,
        top_p=0.5,
        top_k=7,
        seed=9999999999,
        repetition_penalty=1.3,
        frequency_penalty=0.4,
        presence_penalty=0.2,
    )
    params = engine.sampling_params(request, 20)
    assert (params.max_tokens, params.temperature, params.top_p, params.top_k) == (20, 2.0, 0.5, 7)
    assert (params.seed, params.repetition_penalty) == (9999999999, 1.3)
    assert (params.frequency_penalty, params.presence_penalty) == (0.4, 0.2)
    neutral = engine.sampling_params(GenerationRequest(prompt="Hi", top_p=0.0, repetition_penalty=0.0), 5)
    assert (neutral.temperature, neutral.top_p, neutral.top_k, neutral.repetition_penalty) == (
        0.0,
        1.0,
        -1,
        1.0,
    )


def test_the_template_is_tokenised_here_with_one_bos(engine: Any, vllm: Any) -> None:
    messages = (ChatMessage("system", "S"), ChatMessage("user", "u"))
    run(engine, GenerationRequest(messages=messages, max_tokens=2, seed=1))
    ids, _ = vllm.CREATED[0].requests[-1]
    bos = engine._tokenizer.bos_token_id
    assert ids[0] == bos and ids[1] != bos
    assert engine._tokenizer.decode(ids) == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nu [/INST]"


def test_text_streams_one_delta_per_token_with_usage(engine: Any) -> None:
    pieces, finished = run(engine, GenerationRequest(prompt="Hello", max_tokens=12, seed=5))
    assert finished.stop_reason == "length"
    assert finished.usage.completion_tokens == 12 and len(pieces) <= 12
    _, greedy = run(engine, GenerationRequest(prompt="Hello", max_tokens=50, temperature=0))
    assert greedy.stop_reason == "eos" and greedy.usage.completion_tokens == 8


def test_the_same_seed_gives_the_same_text(engine: Any) -> None:
    def text(seed: int) -> str:
        return "".join(run(engine, GenerationRequest(prompt="Hello", max_tokens=10, seed=seed))[0])

    assert text(42) == text(42)
    assert text(42) != text(43)


def test_zero_max_tokens_and_huge_prompts_fit_the_window(engine: Any, vllm: Any) -> None:
    asked = len(vllm.CREATED[0].requests)
    assert run(engine, GenerationRequest(prompt="Hi", max_tokens=0))[1].usage.completion_tokens == 0
    assert len(vllm.CREATED[0].requests) == asked, "nothing to generate: vLLM is not asked"
    _, finished = run(engine, GenerationRequest(prompt="word " * 5000, max_tokens=2**31, seed=1))
    assert finished.truncated_prompt_tokens > 0
    assert finished.usage.total_tokens == engine.context_window


def test_cancellation_aborts_the_vllm_request(engine: Any, vllm: Any) -> None:
    stand_in = vllm.CREATED[0]
    stand_in.delay_s = 0.02
    cancellation = Cancellation()
    try:
        events = engine.generate(GenerationRequest(prompt="Hi", max_tokens=500, seed=1), cancellation)
        next(events)
        threading.Timer(0.1, cancellation.cancel).start()
        finished = list(events)[-1]
    finally:
        stand_in.delay_s = 0.0
    assert finished.stop_reason == "cancelled" and finished.usage.completion_tokens < 500
    for _ in range(100):
        if stand_in.aborted:
            break
        threading.Event().wait(0.02)
    assert stand_in.aborted, "vLLM was told to stop generating"


def test_the_server_over_the_vllm_engine_streams_and_agrees(engine: Any) -> None:
    body = {"prompt": "Hello", "max_tokens": 10, "seed": 77}
    with serving(create_app(engine)) as origin:
        url = run_url(origin + "/client/v4")
        whole = httpx.post(url, json=body, timeout=60).json()["result"]
        streamed = httpx.post(url, json={**body, "stream": True}, timeout=60).text
    events = [json.loads(line[6:]) for line in streamed.split("\n\n") if line.startswith("data: {")]
    assert "".join(e["response"] for e in events) == whole["response"]
    assert events[-1]["usage"] == whole["usage"]
    assert whole["usage"]["completion_tokens"] == 10
