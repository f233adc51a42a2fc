"""The transformers engine over the tiny model: prompts, stopping, truncation, determinism."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from conformance.server.engines.base import (
    Cancellation,
    ChatMessage,
    Finished,
    GenerationRequest,
    Piece,
    ToolSpec,
    UnknownAdapter,
)
from conformance.server.engines.transformers_engine import _IncrementalDecoder
from support.reference_server import tiny_engine

pytestmark = pytest.mark.slow


def engine() -> Any:
    return tiny_engine()


def run(request: GenerationRequest, cancellation: Cancellation | None = None) -> tuple[str, Finished]:
    events = list(engine().generate(request, cancellation or Cancellation()))
    finished = events[-1]
    assert isinstance(finished, Finished)
    assert all(isinstance(e, Piece) for e in events[:-1])
    return "".join(e.text for e in events if isinstance(e, Piece)), finished


def test_template_is_applied_unless_raw() -> None:
    assert engine().prompt_text(GenerationRequest(prompt="Hi")) == "<s>[INST] Hi [/INST]"
    assert engine().prompt_text(GenerationRequest(prompt="Hi", raw=True)) == "Hi"
    messages = (ChatMessage("system", "S"), ChatMessage("user", "u"))
    assert engine().prompt_text(GenerationRequest(messages=messages)).startswith("<s>[INST] <<SYS>>\nS\n")


def test_template_markers_become_special_tokens() -> None:
    ids, _ = engine().prompt_ids(GenerationRequest(prompt="Hi"))
    raw_ids, _ = engine().prompt_ids(GenerationRequest(prompt="Hi", raw=True))
    bos = engine()._tokenizer.bos_token_id
    assert ids[0] == bos and bos not in raw_ids
    assert len(ids) > len(raw_ids)


def test_offered_tools_are_described_in_the_prompt() -> None:
    tool = ToolSpec("get_weather", "Weather now", {"type": "object", "properties": {}})
    text = engine().prompt_text(GenerationRequest(messages=(ChatMessage("user", "u"),), tools=(tool,)))
    assert "get_weather: Weather now" in text


def test_max_tokens_bounds_generated_tokens() -> None:
    for limit in (1, 7, 20):
        _, finished = run(GenerationRequest(prompt="Hello", max_tokens=limit, seed=5))
        assert finished.usage.completion_tokens <= limit
    _, finished = run(GenerationRequest(prompt="Hello", max_tokens=20, temperature=0))
    assert finished.usage.completion_tokens == 20 and finished.stop_reason == "length"


@pytest.mark.parametrize("limit", [0, -1, -(2**31)])
def test_zero_or_negative_max_tokens_generates_nothing(limit: int) -> None:
    text, finished = run(GenerationRequest(prompt="Hello", max_tokens=limit))
    assert text == "" and finished.usage.completion_tokens == 0
    assert finished.usage.prompt_tokens > 0


def test_temperature_zero_is_deterministic() -> None:
    request = GenerationRequest(prompt="Tell me a story", max_tokens=24, temperature=0)
    assert run(request)[0] == run(request)[0]


def test_same_seed_same_text_and_different_seeds_differ() -> None:
    def text(seed: int) -> str:
        return run(GenerationRequest(prompt="Hello", max_tokens=24, temperature=1.5, seed=seed))[0]

    assert text(9999999999) == text(9999999999)
    assert len({text(seed) for seed in (1, 2, 3, 4)}) > 1
    assert text(9999999999) != text(9999999999 - 2**32)


def test_same_seed_same_text_under_concurrency() -> None:
    request = GenerationRequest(prompt="Hello", max_tokens=24, temperature=1.0, seed=42)
    alone = run(request)[0]
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(run(request)[0])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [alone] * 4


def test_penalties_change_sampled_output_under_a_fixed_seed() -> None:
    # Greedy text from the random model rarely repeats a token, so the generated-token
    # penalties would not move its argmax; under a fixed seed they move the draws.
    base = dict(prompt="Hello Hello Hello", max_tokens=40, temperature=1.0, seed=7)
    plain = run(GenerationRequest(**base))[0]  # type: ignore[arg-type]
    for key in ("repetition_penalty", "frequency_penalty", "presence_penalty"):
        penalised = run(GenerationRequest(**base, **{key: 2.0}))[0]  # type: ignore[arg-type]
        assert penalised != plain, key


def test_top_k_one_equals_greedy_whatever_the_seed() -> None:
    greedy = run(GenerationRequest(prompt="Hello", max_tokens=16, temperature=0))[0]
    for seed in (1, 2):
        sampled = run(GenerationRequest(prompt="Hello", max_tokens=16, temperature=2.0, top_k=1, seed=seed))[
            0
        ]
        assert sampled == greedy


def test_top_p_zero_equals_greedy() -> None:
    greedy = run(GenerationRequest(prompt="Hello", max_tokens=16, temperature=0))[0]
    assert (
        run(GenerationRequest(prompt="Hello", max_tokens=16, temperature=2.0, top_p=0.0, seed=3))[0] == greedy
    )


def test_huge_prompt_keeps_its_newest_tokens() -> None:
    window = engine().context_window
    request = GenerationRequest(prompt="word " * 131072 + "THE END", max_tokens=8, temperature=0)
    ids, dropped = engine().prompt_ids(request)
    assert dropped > 0
    assert len(ids) + min(8, window // 2) <= window
    assert ids[0] == engine()._tokenizer.bos_token_id
    assert engine()._tokenizer.decode(ids).endswith("THE END [/INST]")
    _, finished = run(request)
    assert finished.truncated_prompt_tokens == dropped
    assert finished.usage.prompt_tokens == len(ids) and finished.usage.completion_tokens == 8


def test_maximal_emoji_prompt_and_max_tokens_beyond_the_window_stop_at_the_window() -> None:
    window = engine().context_window
    _, finished = run(GenerationRequest(prompt="\U0001f600" * 131072, max_tokens=2**31, temperature=0))
    assert finished.usage.total_tokens <= window


def test_cancellation_stops_generation() -> None:
    cancellation = Cancellation()
    events = engine().generate(GenerationRequest(prompt="Hello", max_tokens=500, seed=1), cancellation)
    produced = 0
    for event in events:
        if isinstance(event, Finished):
            break
        produced += 1
        if produced == 3:
            cancellation.cancel()
    assert isinstance(event, Finished)
    assert event.stop_reason == "cancelled"
    assert event.usage.completion_tokens < 10


def test_pieces_concatenate_to_the_text_and_hold_back_split_characters() -> None:
    request = GenerationRequest(prompt="こんにちは世界 🙂", max_tokens=60, temperature=1.0, seed=11)
    events = list(engine().generate(request, Cancellation()))
    pieces = [e.text for e in events if isinstance(e, Piece)]
    assert "".join(pieces) == run(request)[0]
    assert all(not piece.endswith("\ufffd") for piece in pieces[:-1])


def test_lora_is_refused_before_any_output() -> None:
    with pytest.raises(UnknownAdapter, match="'my-adapter'"):
        engine().generate(GenerationRequest(prompt="x", lora="my-adapter"), Cancellation())


def test_incremental_decoding_rebuilds_text_token_by_token() -> None:
    tokenizer = engine()._tokenizer
    text = "Grüße, こんにちは 🙂🚀 the end"
    decoder = _IncrementalDecoder(tokenizer)
    pieces = [decoder.push(token) for token in tokenizer.encode(text, add_special_tokens=False)]
    pieces.append(decoder.flush())
    assert "".join(pieces) == decoder.text == text
    assert not any("\ufffd" in piece for piece in pieces)
