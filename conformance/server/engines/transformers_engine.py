"""An engine over any Hugging Face causal-LM checkpoint, with our own sampling loop.

torch and transformers are imported when an engine is built, never by the
HTTP layer. The loop runs one forward pass per token with a KV cache, so
pieces stream as they are produced; a lock around each forward pass lets
many requests interleave token by token on one model.

Decisions (documented in docs/reference-server.md):

- ``max_tokens`` <= 0 (schema-valid) generates nothing: an empty answer
  with ``completion_tokens`` 0.
- A prompt longer than the context window keeps its newest tokens: the
  oldest are dropped (the first token, usually BOS, is kept) so that the
  prompt plus ``min(max_tokens, window / 2)`` fits. Generation stops at the
  window's end in any case.
- Without ``seed`` a fresh random seed (in the schema's range) is drawn per request; with one, a
  random source seeded with all of its bits drives every draw, so the same
  request gives the same text streamed or not, alone or among concurrent ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.server.engines import request_mapping
from conformance.server.engines.base import (
    Cancellation,
    Event,
    Finished,
    GenerationRequest,
    Piece,
    UnknownAdapter,
    Usage,
)

_REPLACEMENT = "\ufffd"


class TransformersEngine:
    """Serve one checkpoint directory with transformers and torch.

    >>> from conformance.server.tiny_model import ensure_tiny_model
    >>> engine = TransformersEngine.load(ensure_tiny_model())
    >>> request = GenerationRequest(prompt="Hello", max_tokens=8, temperature=0)
    >>> "".join(e.text for e in engine.generate(request, Cancellation()) if isinstance(e, Piece))
    '...'
    """

    def __init__(self, model: Any, tokenizer: Any, *, path: str, device: str) -> None:
        import torch

        self._torch = torch
        self._model = model
        self._tokenizer = tokenizer
        self._path = path
        self._device = device
        self._cache_argument = _cache_argument_name(model)
        self._lock = threading.Lock()
        self.encoder = request_mapping.PromptEncoder(tokenizer)
        config = model.config
        self.context_window = int(
            getattr(config, "max_position_embeddings", 0) or getattr(tokenizer, "model_max_length", 4096)
        )
        self._eos_ids = _eos_ids(model, tokenizer)

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None) -> TransformersEngine:
        """Load a checkpoint directory, unquantized or AWQ (`checkpoint.inspect_checkpoint` tells which).

        ``device`` is ``auto`` (the default: CUDA when torch sees it), ``cpu``,
        ``cuda`` or ``cuda:N``. On CUDA the model computes in float16, on CPU in float32.
        """
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from conformance.server.checkpoint import inspect_checkpoint
        from conformance.server.engines.devices import resolve_device

        hub_logging: Any = transformers.logging
        hub_logging.set_verbosity_error()
        hub_logging.disable_progress_bar()
        checkpoint = inspect_checkpoint(path)
        chosen = resolve_device(device or "auto")
        dtype = torch.float16 if chosen.startswith("cuda") else torch.float32
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model: Any
        if checkpoint.awq is not None:
            from conformance.server.engines.awq_loader import load_awq_model

            model = load_awq_model(checkpoint, device=chosen, dtype=dtype)
        else:
            model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype)
            model.to(chosen)
            model.eval()
        return cls(model, tokenizer, path=f"{path}, {checkpoint.describe()}", device=chosen)

    @property
    def name(self) -> str:
        return f"transformers ({self._path} on {self._device})"

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset()

    # -- prompt ---------------------------------------------------------------

    def prompt_text(self, request: GenerationRequest) -> str:
        """The exact text the model reads: the chat template applied unless ``raw``."""
        return request_mapping.prompt_text(request)

    def prompt_ids(self, request: GenerationRequest) -> tuple[list[int], int]:
        """Token ids of the prompt after truncation, and how many were dropped."""
        return self.encoder.prompt_ids(request, self.context_window)

    # -- generation -----------------------------------------------------------

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        if request.lora is not None:
            raise UnknownAdapter(request.lora, self.adapters)
        return self._generate(request, cancellation)

    def _generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        from conformance.server.engines.sampling import SamplingParams, next_token, rng_for

        torch = self._torch
        prompt, dropped = self.prompt_ids(request)
        limit = request_mapping.completion_limit(request.max_tokens, len(prompt), self.context_window)
        # Exact values: our own sampler honours the schema's whole ranges.
        sampling = request_mapping.sampling_for(request)
        params = SamplingParams(
            temperature=sampling.temperature,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            repetition_penalty=sampling.repetition_penalty,
            frequency_penalty=sampling.frequency_penalty,
            presence_penalty=sampling.presence_penalty,
        )
        rng = rng_for(sampling.seed)
        context = torch.tensor(prompt, dtype=torch.long)
        generated: list[int] = []
        decoder = _IncrementalDecoder(self._tokenizer)
        stop_reason = "length"
        cache: Any = None
        step_input = context
        while len(generated) < limit:
            if cancellation.cancelled:
                stop_reason = "cancelled"
                break
            logits, cache = self._forward(step_input, cache)
            token = next_token(
                logits,
                params,
                context=context,
                generated=torch.tensor(generated, dtype=torch.long),
                rng=rng,
            )
            generated.append(token)
            if token in self._eos_ids:
                stop_reason = "eos"
                break
            context = torch.cat([context, torch.tensor([token], dtype=torch.long)])
            step_input = torch.tensor([token], dtype=torch.long)
            piece = decoder.push(token)
            if piece:
                yield Piece(piece)
        tail = decoder.flush()
        if tail:
            yield Piece(tail)
        calls = request_mapping.tool_calls_in(decoder.text, request)
        yield Finished(
            usage=Usage(prompt_tokens=len(prompt), completion_tokens=len(generated)),
            stop_reason=stop_reason,
            tool_calls=calls,
            truncated_prompt_tokens=dropped,
        )

    def _forward(self, ids: Any, cache: Any) -> tuple[Any, Any]:
        torch = self._torch
        # transformers 5.24 renamed ``past_key_values`` to ``cache`` (the old
        # name warns, and our warnings are errors); older releases know only
        # the old name. Ask the model which one its forward takes.
        cache_name = self._cache_argument
        with self._lock, torch.inference_mode():
            out = self._model(
                input_ids=ids.unsqueeze(0).to(self._device), **{cache_name: cache}, use_cache=True
            )
            return out.logits[0, -1].float().cpu(), getattr(out, cache_name)


def _cache_argument_name(model: Any) -> str:
    import inspect

    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


class _IncrementalDecoder:
    """Text for a growing list of token ids, released only once it is stable.

    Byte-level tokens can split a UTF-8 character: a piece ending in U+FFFD
    is held back until the next token completes it. Each step decodes only a
    short window (the vLLM scheme: the previous piece's tokens as context, so
    SentencePiece's leading-space rule sees what precedes), so a long answer
    costs linear, not quadratic, decoding. ``text`` is exactly the
    concatenation of the pieces, so streamed and non-streamed answers agree.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix = 0
        self._read = 0
        self.text = ""

    def _decode(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids, skip_special_tokens=True))

    def push(self, token: int) -> str:
        self._ids.append(token)
        return self._advance(final=False)

    def flush(self) -> str:
        return self._advance(final=True)

    def _advance(self, *, final: bool) -> str:
        before = self._decode(self._ids[self._prefix : self._read])
        after = self._decode(self._ids[self._prefix :])
        if len(after) <= len(before) or (after.endswith(_REPLACEMENT) and not final):
            return ""
        piece = after[len(before) :]
        self._prefix, self._read = self._read, len(self._ids)
        self.text += piece
        return piece


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), model.config, tokenizer):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(int(v) for v in value)
    return frozenset(ids)
