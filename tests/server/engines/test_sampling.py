"""The sampling functions, on hand-made logits."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conformance.server.engines.sampling import (  # noqa: E402
    SamplingParams,
    apply_frequency_presence,
    apply_repetition_penalty,
    apply_top_k,
    apply_top_p,
    draw,
    next_token,
    rng_for,
)

NEG_INF = float("-inf")


def ids(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


def test_repetition_penalty_divides_positive_and_multiplies_negative_seen_logits() -> None:
    logits = torch.tensor([2.0, -2.0, 3.0, -1.0])
    out = apply_repetition_penalty(logits, ids(0, 1, 1), 2.0)
    assert out.tolist() == [1.0, -4.0, 3.0, -1.0]
    assert logits.tolist() == [2.0, -2.0, 3.0, -1.0], "input must not be modified"


def test_repetition_penalty_of_one_or_zero_changes_nothing() -> None:
    logits = torch.tensor([2.0, -2.0])
    assert torch.equal(apply_repetition_penalty(logits, ids(0, 1), 1.0), logits)
    assert torch.equal(apply_repetition_penalty(logits, ids(0, 1), 0.0), logits)


def test_repetition_penalty_below_one_encourages_repeats() -> None:
    out = apply_repetition_penalty(torch.tensor([2.0, -2.0]), ids(0, 1), 0.5)
    assert out.tolist() == [4.0, -1.0]


def test_frequency_and_presence_penalties_follow_openai() -> None:
    logits = torch.zeros(4)
    out = apply_frequency_presence(logits, ids(1, 1, 1, 2), frequency=0.5, presence=2.0)
    # token 1: 0.5*3 + 2 ; token 2: 0.5*1 + 2 ; others untouched
    assert out.tolist() == [0.0, -3.5, -2.5, 0.0]
    assert torch.equal(apply_frequency_presence(logits, ids(1), 0.0, 0.0), logits)
    assert torch.equal(apply_frequency_presence(logits, ids(), 1.0, 1.0), logits)


def test_top_k_keeps_the_k_highest() -> None:
    out = apply_top_k(torch.tensor([1.0, 4.0, 3.0, 2.0]), 2)
    assert out.tolist() == [NEG_INF, 4.0, 3.0, NEG_INF]
    assert apply_top_k(torch.tensor([1.0, 2.0]), 50).tolist() == [1.0, 2.0]
    assert apply_top_k(torch.tensor([1.0, 2.0]), None).tolist() == [1.0, 2.0]


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log()
    assert apply_top_p(logits, 0.7).isfinite().tolist() == [True, True, False, False]
    assert apply_top_p(logits, 0.8).isfinite().tolist() == [True, True, False, False]
    assert apply_top_p(logits, 0.81).isfinite().tolist() == [True, True, True, False]
    assert apply_top_p(logits, 0.0).isfinite().tolist() == [True, False, False, False]
    assert apply_top_p(logits, 1.0).isfinite().all()
    assert apply_top_p(logits, 2.0).isfinite().all()


def test_top_p_works_on_unsorted_logits() -> None:
    logits = torch.tensor([0.05, 0.5, 0.15, 0.3]).log()
    assert apply_top_p(logits, 0.7).isfinite().tolist() == [False, True, False, True]


def test_temperature_zero_is_greedy_and_consumes_no_randomness() -> None:
    rng = rng_for(1)
    state = rng.getstate()
    params = SamplingParams(temperature=0.0)
    logits = torch.tensor([0.1, 0.9, 0.5])
    assert next_token(logits, params, context=ids(), generated=ids(), rng=rng) == 1
    assert rng.getstate() == state


def test_greedy_applies_penalties_first() -> None:
    params = SamplingParams(temperature=0.0, presence_penalty=1.0)
    logits = torch.tensor([0.1, 0.9, 0.5])
    assert next_token(logits, params, context=ids(1), generated=ids(1), rng=rng_for(1)) == 2


def test_same_seed_same_draws_and_seeds_beyond_32_bits_work() -> None:
    logits = torch.zeros(1000)
    params = SamplingParams(temperature=1.0)

    def draws(seed: int) -> list[int]:
        rng = rng_for(seed)
        return [next_token(logits, params, context=ids(), generated=ids(), rng=rng) for _ in range(20)]

    assert draws(9999999999) == draws(9999999999)
    assert draws(9999999999) != draws(9999999999 - 2**32)


def test_top_k_one_makes_sampling_greedy() -> None:
    logits = torch.tensor([0.0, 3.0, 2.9, 2.8])
    params = SamplingParams(temperature=5.0, top_k=1)
    rng = rng_for(7)
    picks = {next_token(logits, params, context=ids(), generated=ids(), rng=rng) for _ in range(50)}
    assert picks == {1}


def test_high_temperature_spreads_draws() -> None:
    logits = torch.tensor([0.0, 3.0, 2.9, 2.8])
    rng = rng_for(7)
    cold = SamplingParams(temperature=0.01)
    hot = SamplingParams(temperature=5.0)
    cold_picks = {next_token(logits, cold, context=ids(), generated=ids(), rng=rng) for _ in range(50)}
    hot_picks = {next_token(logits, hot, context=ids(), generated=ids(), rng=rng) for _ in range(200)}
    assert cold_picks == {1}
    assert hot_picks == {0, 1, 2, 3}


def test_draw_follows_the_distribution_and_never_picks_a_zero() -> None:
    probs = torch.tensor([0.0, 0.25, 0.0, 0.75, 0.0])
    rng = rng_for(3)
    picks = [draw(probs, rng) for _ in range(4000)]
    assert set(picks) == {1, 3}
    assert 0.2 < picks.count(1) / len(picks) < 0.3
