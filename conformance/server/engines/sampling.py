"""Turning one step's logits into the next token: penalties, temperature, top-k, top-p, draw.

Each function takes and returns a 1-D float tensor of logits over the
vocabulary, so each can be tested on hand-made tensors. The definitions are
the ones vLLM and OpenAI document:

- repetition penalty (CTRL, vLLM, HF): over prompt and output tokens, a
  positive logit is divided by the penalty and a negative one multiplied;
- frequency and presence penalties (OpenAI): over generated tokens only,
  ``logit -= frequency * count + presence * (count > 0)``;
- temperature 0 is greedy: the highest logit wins, no randomness consumed;
- top-k keeps the k highest logits; top-p keeps the smallest set of most
  likely tokens whose probabilities reach p (at least one token).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

_NEG_INF = float("-inf")


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings with the request's omissions already replaced by neutral values."""

    temperature: float = 0.6
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0


def apply_repetition_penalty(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """Divide positive logits of ``seen`` tokens by ``penalty``, multiply negative ones.

    A penalty of 1 changes nothing. The schema allows 0, where the rule is
    undefined (division by zero): 0 is treated as 1, no penalty.
    """
    if penalty == 1.0 or penalty <= 0.0 or seen.numel() == 0:
        return logits
    index = torch.unique(seen)
    chosen = logits[index]
    out = logits.clone()
    out[index] = torch.where(chosen > 0, chosen / penalty, chosen * penalty)
    return out


def apply_frequency_presence(
    logits: torch.Tensor, generated: torch.Tensor, frequency: float, presence: float
) -> torch.Tensor:
    """Subtract ``frequency * count + presence * (count > 0)`` for each generated token."""
    if (frequency == 0.0 and presence == 0.0) or generated.numel() == 0:
        return logits
    counts = torch.bincount(generated, minlength=logits.shape[-1]).to(logits.dtype)
    return logits - frequency * counts - presence * (counts > 0).to(logits.dtype)


def apply_top_k(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    """Keep the ``k`` highest logits (ties at the k-th value are kept too)."""
    if k is None or k <= 0 or k >= logits.shape[-1]:
        return logits
    threshold = torch.topk(logits, k).values[-1]
    return logits.masked_fill(logits < threshold, _NEG_INF)


def apply_top_p(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probabilities sum to at least ``p``.

    ``p >= 1`` keeps everything (the schema allows up to 2); ``p = 0`` keeps
    only the most likely token.
    """
    if p is None or p >= 1.0:
        return logits
    ordered, order = torch.sort(logits, descending=True)
    probs = torch.softmax(ordered, dim=-1)
    # A token stays when the mass before it has not yet reached p; the first always stays.
    before = torch.cumsum(probs, dim=-1) - probs
    drop_sorted = before >= p
    drop_sorted[0] = False
    drop = torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted)
    return logits.masked_fill(drop, _NEG_INF)


def next_token(
    logits: torch.Tensor,
    params: SamplingParams,
    *,
    context: torch.Tensor,
    generated: torch.Tensor,
    rng: random.Random,
) -> int:
    """The next token id: penalties, then greedy at temperature 0, else temperature, top-k, top-p, draw.

    ``context`` is every token so far (prompt and output), ``generated`` the
    output only; both are 1-D int64 tensors on the logits' device. Exactly
    one number is taken from ``rng`` per sampled token, none when greedy.
    """
    logits = logits.to(torch.float32)
    logits = apply_repetition_penalty(logits, context, params.repetition_penalty)
    logits = apply_frequency_presence(logits, generated, params.frequency_penalty, params.presence_penalty)
    if params.temperature <= 0.0:
        return int(torch.argmax(logits).item())
    logits = logits / params.temperature
    logits = apply_top_k(logits, params.top_k)
    logits = apply_top_p(logits, params.top_p)
    return draw(torch.softmax(logits, dim=-1), rng)


def draw(probs: torch.Tensor, rng: random.Random) -> int:
    """Inverse-CDF draw of one index from ``probs`` with one uniform number from ``rng``."""
    cdf = torch.cumsum(probs.to(torch.float64), dim=-1)
    target = torch.tensor([rng.random() * float(cdf[-1])], dtype=torch.float64)
    index = int(torch.searchsorted(cdf, target, right=True).item())
    return min(index, probs.shape[-1] - 1)


def rng_for(seed: int) -> random.Random:
    """The random source of one generation.

    Python's Mersenne Twister is seeded from every bit of an int, so the
    schema's seeds up to 9999999999 stay distinct; torch's CPU generator keeps
    only the low 32 bits (seed and seed + 2**32 would draw the same text).
    """
    return random.Random(seed)
