"""Stand-in for vLLM's public API (see ../README.md): only what conformance's vllm engine uses."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from vllm.sampling_params import RequestOutputKind, SamplingParams

__all__ = ["AsyncEngineArgs", "AsyncLLMEngine", "CompletionOutput", "RequestOutput", "SamplingParams"]

GREEDY_ANSWER_TOKENS = 8
"""At temperature 0 the stand-in 'answers' in this many tokens and stops (finish_reason "stop")."""

CREATED: list[AsyncLLMEngine] = []
"""Every engine built, so tests can read what the server asked of vLLM."""


@dataclass
class AsyncEngineArgs:
    model: str
    quantization: str | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    dtype: str = "auto"


@dataclass
class ModelConfig:
    max_model_len: int


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    finish_reason: str | None = None


@dataclass
class RequestOutput:
    request_id: str
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    finished: bool


@dataclass
class AsyncLLMEngine:
    args: AsyncEngineArgs
    model_config: ModelConfig
    tokenizer: Any
    requests: list[tuple[list[int], SamplingParams]] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    delay_s: float = 0.0

    @classmethod
    def from_engine_args(cls, engine_args: AsyncEngineArgs) -> AsyncLLMEngine:
        asyncio.get_running_loop()  # vLLM's async engine starts its output handler on the running loop
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(engine_args.model)
        window = engine_args.max_model_len or 1024
        engine = cls(engine_args, ModelConfig(window), tokenizer)
        CREATED.append(engine)
        return engine

    async def generate(
        self, prompt: dict[str, Any], sampling_params: SamplingParams, request_id: str
    ) -> AsyncIterator[RequestOutput]:
        ids = list(prompt["prompt_token_ids"])
        if len(ids) + (sampling_params.max_tokens or 16) > self.model_config.max_model_len:
            raise ValueError(f"prompt of {len(ids)} tokens does not fit max_model_len")
        assert sampling_params.output_kind is RequestOutputKind.DELTA, "the engine streams deltas"
        self.requests.append((ids, sampling_params))
        greedy = sampling_params.temperature == 0
        rng = random.Random(f"{sampling_params.seed}/{ids}" if not greedy else f"{ids}")
        vocab = len(self.tokenizer)
        limit = sampling_params.max_tokens or 16
        try:
            for step in range(limit):
                token = rng.randrange(3, vocab)
                stop = greedy and step + 1 == GREEDY_ANSWER_TOKENS
                finish = "stop" if stop else ("length" if step + 1 == limit else None)
                text = self.tokenizer.decode([token], skip_special_tokens=True)
                output = CompletionOutput(0, text, [token], finish)
                yield RequestOutput(request_id, ids, [output], finish is not None)
                if finish is not None:
                    return
                await asyncio.sleep(self.delay_s)
        except (asyncio.CancelledError, GeneratorExit):
            await self.abort(request_id)
            raise

    async def abort(self, request_id: str) -> None:
        self.aborted.append(request_id)
