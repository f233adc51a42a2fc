"""From a Workers AI `GenerationRequest` to what any engine reads: prompt text, sampling, tool calls.

Every engine (our own token loop, vLLM in-process, an OpenAI-compatible
upstream) formats the conversation and fills in omitted parameters the same
way, so the same body means the same thing whichever engine serves it. What
an engine cannot honour exactly is narrowed here, in one place, and written
down in docs/gpu.md:

- OpenAI-style engines (vLLM, and the OpenAI API that TGI, llama.cpp and
  SGLang copy) accept ``temperature`` up to 2 and ``top_p`` in (0, 1]; the
  schema allows temperature up to 5 and top_p up to 2. `bounded` caps the
  temperature at 2, turns ``top_p >= 1`` into "off" (it keeps every token
  anyway) and ``top_p == 0`` into greedy decoding (it keeps only the most
  likely token, which is what greedy picks).
- ``repetition_penalty`` 0 (schema-valid, a division by zero in the rule) is
  "off", as in our own sampler.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from conformance.server.engines import llama2_template
from conformance.server.engines.base import GenerationRequest, ToolCall
from conformance.server.engines.tool_calls import parse_tool_calls, tools_instruction

SEED_MAX = 9_999_999_999
"""The schema's largest seed; below 2**34, so every seed fits a 34-bit field."""

OPENAI_MAX_TEMPERATURE = 2.0
"""The largest temperature vLLM's SamplingParams and the OpenAI API accept."""


@dataclass(frozen=True)
class Sampling:
    """A request's sampling settings with every omission replaced by its neutral value.

    ``top_p`` and ``top_k`` are ``None`` when off; penalties are 1.0 (repetition)
    and 0.0 (frequency, presence) when off. ``seed`` is always set: the
    request's, or a fresh one in the schema's range, so an engine never falls
    back on a shared random state.

    >>> sampling_for(GenerationRequest(prompt="Hi", seed=7)).seed
    7
    """

    max_tokens: int
    temperature: float
    top_p: float | None
    top_k: int | None
    seed: int
    repetition_penalty: float
    frequency_penalty: float
    presence_penalty: float


def prompt_text(request: GenerationRequest) -> str:
    """The exact text the model reads: the Llama-2 chat template applied unless ``raw``.

    >>> prompt_text(GenerationRequest(prompt="Hi"))
    '<s>[INST] Hi [/INST]'
    """
    extra = tools_instruction(request.tools) if request.tools else ""
    if request.messages is not None:
        return llama2_template.render(request.messages, extra_system=extra)
    assert request.prompt is not None
    if request.raw:
        return request.prompt
    return llama2_template.render_prompt(request.prompt, extra_system=extra)


def fresh_seed() -> int:
    """A random seed in the schema's range, for a request that sent none."""
    return 1 + secrets.randbelow(SEED_MAX)


def sampling_for(request: GenerationRequest) -> Sampling:
    """The request's sampling with neutral values for what it left out (exact: no engine limits applied)."""
    repetition = request.repetition_penalty
    return Sampling(
        max_tokens=max(request.max_tokens, 0),
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        seed=request.seed if request.seed is not None else fresh_seed(),
        repetition_penalty=1.0 if repetition is None or repetition <= 0.0 else repetition,
        frequency_penalty=request.frequency_penalty or 0.0,
        presence_penalty=request.presence_penalty or 0.0,
    )


def bounded(sampling: Sampling) -> Sampling:
    """The same sampling within the ranges OpenAI-style engines accept (see the module docstring).

    >>> s = bounded(sampling_for(GenerationRequest(prompt="Hi", temperature=4.5, top_p=0)))
    >>> (s.temperature, s.top_p)
    (0.0, None)
    """
    temperature = min(sampling.temperature, OPENAI_MAX_TEMPERATURE)
    top_p = sampling.top_p
    if top_p is not None and top_p >= 1.0:
        top_p = None
    elif top_p is not None and top_p <= 0.0:
        temperature, top_p = 0.0, None
    return replace(sampling, temperature=temperature, top_p=top_p)


def truncated_prompt(ids: Sequence[int], max_tokens: int, window: int) -> tuple[list[int], int]:
    """The prompt's token ids cut to fit ``window``, and how many were dropped.

    The oldest tokens go (the first, usually BOS, stays) so that the prompt
    plus ``min(max_tokens, window / 2)`` fits: the newest text holds the
    question the answer needs.

    >>> truncated_prompt([1, 2, 3, 4, 5, 6], max_tokens=4, window=8)
    ([1, 4, 5, 6], 2)
    """
    reserve = min(max(max_tokens, 0), window // 2)
    budget = max(window - reserve, 2)
    if len(ids) <= budget:
        return list(ids), 0
    dropped = len(ids) - budget
    return [ids[0], *ids[len(ids) - budget + 1 :]], dropped


def prompt_ids(
    request: GenerationRequest, encode: Callable[[str], Sequence[int]], bos_id: int | None, window: int
) -> tuple[list[int], int]:
    """The templated prompt's token ids after truncation, and how many were dropped.

    ``encode`` tokenizes without special tokens; an empty prompt becomes the
    one token ``bos_id`` (or 0), so every engine has something to condition on.
    """
    ids = list(encode(prompt_text(request))) or [bos_id if bos_id is not None else 0]
    return truncated_prompt(ids, request.max_tokens, window)


class PromptEncoder:
    """A checkpoint's Hugging Face tokenizer as the engines that tokenize read prompts with.

    One per engine: HF's fast-tokenizer wrapper may reconfigure the Rust
    tokenizer inside ``encode`` ("Already borrowed" under concurrency), and
    encoding is short, so calls are serialised.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        """``text``'s token ids, no special tokens added."""
        with self._lock:
            return list(self._tokenizer.encode(text, add_special_tokens=False))

    def prompt_ids(self, request: GenerationRequest, window: int) -> tuple[list[int], int]:
        """The templated prompt's token ids fit to ``window`` (`prompt_ids`), and how many were dropped."""
        return prompt_ids(request, self.encode, self._tokenizer.bos_token_id, window)


def completion_limit(max_tokens: int, prompt_tokens: int, window: int) -> int:
    """How many tokens may be generated: ``max_tokens``, or less where the window ends first."""
    return max(min(max_tokens, window - prompt_tokens), 0)


def tool_calls_in(text: str, request: GenerationRequest) -> tuple[ToolCall, ...]:
    """The tool calls a finished answer makes, when the request offered tools."""
    return parse_tool_calls(text, request.tools) if request.tools else ()
