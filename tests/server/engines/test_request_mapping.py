"""The Workers AI -> engine mapping every engine shares: prompt text, neutral values, engine ranges."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.server.engines.base import ChatMessage, GenerationRequest, ToolSpec
from conformance.server.engines.request_mapping import (
    OPENAI_MAX_TEMPERATURE,
    SEED_MAX,
    PromptEncoder,
    bounded,
    completion_limit,
    fresh_seed,
    prompt_text,
    sampling_for,
    tool_calls_in,
    truncated_prompt,
)

WEATHER = ToolSpec("get_weather", "Weather now", {"type": "object", "properties": {}})


def test_prompt_text_is_the_llama2_template_unless_raw() -> None:
    assert prompt_text(GenerationRequest(prompt="Hi")) == "<s>[INST] Hi [/INST]"
    assert prompt_text(GenerationRequest(prompt="Hi", raw=True)) == "Hi"
    messages = (ChatMessage("system", "S"), ChatMessage("user", "u"), ChatMessage("assistant", "a"))
    assert (
        prompt_text(GenerationRequest(messages=messages)) == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nu [/INST] a"
    )


def test_offered_tools_are_described_in_the_system_prompt() -> None:
    text = prompt_text(GenerationRequest(messages=(ChatMessage("user", "u"),), tools=(WEATHER,)))
    assert text.startswith("<s>[INST] <<SYS>>\nYou can call the following tools.")
    assert "get_weather: Weather now" in text


def test_omitted_parameters_become_neutral_values() -> None:
    sampling = sampling_for(GenerationRequest(prompt="Hi"))
    assert (sampling.temperature, sampling.top_p, sampling.top_k) == (0.6, None, None)
    assert (sampling.repetition_penalty, sampling.frequency_penalty, sampling.presence_penalty) == (
        1.0,
        0.0,
        0.0,
    )
    assert sampling.max_tokens == 256
    assert 1 <= sampling.seed <= SEED_MAX


def test_sent_parameters_pass_through_exactly() -> None:
    request = GenerationRequest(
        prompt="Hi",
        max_tokens=9,
        temperature=4.5,
        top_p=1.7,
        top_k=50,
        seed=SEED_MAX,
        repetition_penalty=2.0,
        frequency_penalty=0.5,
        presence_penalty=1.5,
    )
    sampling = sampling_for(request)
    assert (sampling.max_tokens, sampling.temperature, sampling.top_p, sampling.top_k) == (9, 4.5, 1.7, 50)
    assert (sampling.seed, sampling.repetition_penalty) == (SEED_MAX, 2.0)
    assert (sampling.frequency_penalty, sampling.presence_penalty) == (0.5, 1.5)


def test_repetition_penalty_zero_and_negative_max_tokens_are_off() -> None:
    sampling = sampling_for(GenerationRequest(prompt="Hi", repetition_penalty=0.0, max_tokens=-5))
    assert sampling.repetition_penalty == 1.0 and sampling.max_tokens == 0


def test_fresh_seeds_stay_in_the_schema_range_and_fit_34_bits() -> None:
    seeds = {fresh_seed() for _ in range(200)}
    assert len(seeds) > 190
    assert all(1 <= seed <= SEED_MAX < 2**34 for seed in seeds)


@pytest.mark.parametrize(
    ("temperature", "top_p", "expected"),
    [
        (0.6, None, (0.6, None)),
        (5.0, 0.9, (OPENAI_MAX_TEMPERATURE, 0.9)),
        (1.0, 2.0, (1.0, None)),
        (1.0, 1.0, (1.0, None)),
        (3.0, 0.0, (0.0, None)),
    ],
)
def test_bounded_keeps_openai_ranges_and_the_same_meaning(
    temperature: float, top_p: float | None, expected: tuple[float, float | None]
) -> None:
    sampling = bounded(sampling_for(GenerationRequest(prompt="Hi", temperature=temperature, top_p=top_p)))
    assert (sampling.temperature, sampling.top_p) == expected


@given(
    temperature=st.floats(0, 5),
    top_p=st.none() | st.floats(0, 2),
    penalty=st.floats(0, 2),
)
def test_bounded_values_are_always_accepted_by_openai_style_engines(
    temperature: float, top_p: float | None, penalty: float
) -> None:
    request = GenerationRequest(
        prompt="Hi",
        temperature=temperature,
        top_p=top_p,
        repetition_penalty=penalty,
        presence_penalty=penalty,
    )
    sampling = bounded(sampling_for(request))
    assert 0.0 <= sampling.temperature <= OPENAI_MAX_TEMPERATURE
    assert sampling.top_p is None or 0.0 < sampling.top_p < 1.0
    assert sampling.repetition_penalty > 0.0
    assert -2.0 <= sampling.presence_penalty <= 2.0


def test_truncation_keeps_the_first_and_the_newest_tokens() -> None:
    assert truncated_prompt([1, 2, 3], max_tokens=4, window=8) == ([1, 2, 3], 0)
    ids, dropped = truncated_prompt(list(range(100)), max_tokens=256, window=64)
    assert ids[0] == 0 and ids[-1] == 99 and len(ids) == 32 and dropped == 68
    assert completion_limit(256, prompt_tokens=32, window=64) == 32
    assert completion_limit(-3, prompt_tokens=1, window=64) == 0


def test_tool_calls_are_parsed_only_when_tools_were_offered() -> None:
    text = '{"name": "get_weather", "arguments": {"city": "Lisbon"}}'
    offered = GenerationRequest(messages=(ChatMessage("user", "u"),), tools=(WEATHER,))
    assert [call.to_json() for call in tool_calls_in(text, offered)] == [
        {"name": "get_weather", "arguments": {"city": "Lisbon"}}
    ]
    assert tool_calls_in(text, GenerationRequest(prompt="u")) == ()


class _Tokenizer:
    """One id per character; records the options it was called with and whether two calls overlapped."""

    bos_token_id = 1

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.overlapped = False
        self._busy = False

    def encode(self, text: str, **options: Any) -> list[int]:
        self.overlapped = self.overlapped or self._busy
        self._busy = True
        self.calls.append(options)
        time.sleep(0.001)  # holds the call open, so that two unserialised calls would meet
        ids = [ord(c) for c in text]
        self._busy = False
        return ids


def test_the_prompt_encoder_encodes_the_templated_prompt_without_special_tokens() -> None:
    tokenizer = _Tokenizer()
    encoder = PromptEncoder(tokenizer)
    ids, dropped = encoder.prompt_ids(GenerationRequest(prompt="Hi"), window=4096)
    assert ids == [ord(c) for c in "<s>[INST] Hi [/INST]"] and dropped == 0
    assert tokenizer.calls == [{"add_special_tokens": False}]
    # An empty raw prompt still gives the model one token to condition on: BOS.
    assert encoder.prompt_ids(GenerationRequest(prompt="", raw=True), window=4096) == ([1], 0)
    ids, dropped = encoder.prompt_ids(GenerationRequest(prompt="x" * 100, raw=True, max_tokens=8), window=16)
    assert len(ids) == 8 and dropped == 92


def test_the_prompt_encoder_serialises_calls_from_many_threads() -> None:
    tokenizer = _Tokenizer()
    encoder = PromptEncoder(tokenizer)

    def encode_many() -> None:
        for _ in range(20):
            encoder.encode("x" * 100)

    threads = [threading.Thread(target=encode_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokenizer.calls) == 80 and not tokenizer.overlapped
