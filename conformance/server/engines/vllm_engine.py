"""An engine over vLLM's async engine, in-process: the production GPU path for one machine.

vLLM (the optional ``vllm`` extra) is imported when the engine is built. Its
async engine lives on an event loop of its own, in a background thread; each
`generate` call (on one of the HTTP layer's worker threads) submits a request
to that loop and receives vLLM's delta outputs through a queue, so text
streams token by token and vLLM batches concurrent requests itself.

The prompt is rendered and tokenised here (our Llama-2 template, the
checkpoint's tokenizer, the same truncation as the transformers engine) and
handed to vLLM as token ids, so no BOS is added twice. Sampling goes through
`request_mapping.bounded`: vLLM accepts temperature up to 2 and top_p in
(0, 1] (docs/gpu.md lists what that changes). AWQ checkpoints are served with
``quantization="awq_marlin"`` (vLLM's fast 4-bit kernels) unless told otherwise.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.errors import TargetError
from conformance.server.engines import request_mapping
from conformance.server.engines.base import (
    Cancellation,
    EngineUnavailable,
    Event,
    Finished,
    GenerationRequest,
    Piece,
    UnknownAdapter,
    Usage,
)

AWQ_QUANTIZATION = "awq_marlin"
_STOP_REASONS = {"stop": "eos", "length": "length", "abort": "cancelled"}
_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def checkpoint_quantization(path: str | Path) -> str | None:
    """``"awq"`` when the checkpoint's config.json says AWQ, else its quant method or ``None``."""
    try:
        config = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    method = (config.get("quantization_config") or {}).get("quant_method")
    return str(method) if method else None


class VLLMEngine:
    """Serve one checkpoint with vLLM's async engine, on a CUDA machine::

        engine = VLLMEngine.load("/models/Llama-2-13B-chat-AWQ")  # quantization="awq_marlin"
        request = GenerationRequest(prompt="Hello", max_tokens=8, temperature=0)
        "".join(e.text for e in engine.generate(request, Cancellation()) if isinstance(e, Piece))
    """

    def __init__(
        self,
        engine: Any,
        tokenizer: Any,
        loop: asyncio.AbstractEventLoop,
        *,
        path: str,
        quantization: str | None,
        context_window: int,
    ) -> None:
        self._engine = engine
        self._tokenizer = tokenizer
        self._loop = loop
        self._path = path
        self._quantization = quantization
        self.context_window = context_window
        self.encoder = request_mapping.PromptEncoder(tokenizer)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        quantization: str | None = None,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
    ) -> VLLMEngine:
        """Start vLLM's async engine on ``path``; AWQ checkpoints get ``awq_marlin`` by default."""
        try:
            import vllm
            from transformers import AutoTokenizer
        except ImportError as exc:
            raise TargetError(
                f"The vllm engine needs vLLM ({exc.name} is missing). "
                "Install the vllm extra on a CUDA machine: pip install 'workers-ai-conformance[vllm]'."
            ) from exc
        if quantization is None and checkpoint_quantization(path) == "awq":
            quantization = AWQ_QUANTIZATION
        args = vllm.AsyncEngineArgs(
            model=str(path),
            quantization=quantization,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
        )
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="vllm-engine-loop", daemon=True).start()

        async def build() -> Any:
            # Built on its loop: the async engine starts its output handler on the running loop.
            return vllm.AsyncLLMEngine.from_engine_args(args)

        try:
            engine = asyncio.run_coroutine_threadsafe(build(), loop).result()
        except Exception as exc:  # vLLM raises many kinds (no CUDA device, out of memory, bad config)
            loop.call_soon_threadsafe(loop.stop)
            raise TargetError(f"vLLM could not start on {path}: {type(exc).__name__}: {exc}") from exc
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model_config = getattr(engine, "model_config", None)
        window = max_model_len or getattr(model_config, "max_model_len", None) or 4096
        return cls(
            engine, tokenizer, loop, path=str(path), quantization=quantization, context_window=int(window)
        )

    @property
    def name(self) -> str:
        quantized = f", quantization={self._quantization}" if self._quantization else ""
        return f"vllm ({self._path}{quantized})"

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset()

    def prompt_ids(self, request: GenerationRequest) -> tuple[list[int], int]:
        """Token ids of the templated prompt after truncation, and how many were dropped."""
        return self.encoder.prompt_ids(request, self.context_window)

    def sampling_params(self, request: GenerationRequest, max_tokens: int) -> Any:
        """vLLM's SamplingParams for ``request``: every Workers AI parameter, within vLLM's ranges."""
        import vllm
        from vllm.sampling_params import RequestOutputKind

        sampling = request_mapping.bounded(request_mapping.sampling_for(request))
        return vllm.SamplingParams(
            n=1,
            max_tokens=max_tokens,
            temperature=sampling.temperature,
            top_p=1.0 if sampling.top_p is None else sampling.top_p,
            # -1 means "off" to every vLLM release (newer ones also take 0).
            top_k=-1 if sampling.top_k is None else sampling.top_k,
            seed=sampling.seed,
            repetition_penalty=sampling.repetition_penalty,
            frequency_penalty=sampling.frequency_penalty,
            presence_penalty=sampling.presence_penalty,
            skip_special_tokens=True,
            output_kind=RequestOutputKind.DELTA,
        )

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        if request.lora is not None:
            raise UnknownAdapter(request.lora, self.adapters)
        prompt, dropped = self.prompt_ids(request)
        limit = request_mapping.completion_limit(request.max_tokens, len(prompt), self.context_window)
        if limit == 0:
            return iter([Finished(Usage(len(prompt), 0), "length", truncated_prompt_tokens=dropped)])
        params = self.sampling_params(request, limit)
        return self._generate(request, prompt, dropped, params, cancellation)

    def _generate(
        self,
        request: GenerationRequest,
        prompt: list[int],
        dropped: int,
        params: Any,
        cancellation: Cancellation,
    ) -> Iterator[Event]:
        outputs: queue.Queue[object] = queue.Queue()
        request_id = uuid.uuid4().hex

        async def produce() -> None:
            try:
                stream = self._engine.generate({"prompt_token_ids": prompt}, params, request_id)
                async for output in stream:
                    outputs.put(output)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outputs.put(_Failure(exc))
            finally:
                outputs.put(_END)

        task = asyncio.run_coroutine_threadsafe(produce(), self._loop)
        texts: list[str] = []
        completion_tokens = 0
        stop_reason = "length"
        try:
            while True:
                try:
                    item = outputs.get(timeout=0.05)
                except queue.Empty:
                    if cancellation.cancelled:
                        stop_reason = "cancelled"
                        break
                    continue
                if item is _END:
                    break
                if isinstance(item, _Failure):
                    raise EngineUnavailable(f"vLLM failed: {item.exc}") from item.exc
                completion = item.outputs[0]  # type: ignore[attr-defined]
                completion_tokens += len(completion.token_ids)
                if completion.text:
                    texts.append(completion.text)
                    yield Piece(completion.text)
                if completion.finish_reason is not None:
                    stop_reason = _STOP_REASONS.get(str(completion.finish_reason), "eos")
                if cancellation.cancelled:
                    stop_reason = "cancelled"
                    break
        finally:
            if not task.done():
                # Cancelling the consuming task closes vLLM's generator, which aborts the request.
                task.cancel()
        yield Finished(
            usage=Usage(prompt_tokens=len(prompt), completion_tokens=completion_tokens),
            stop_reason=stop_reason,
            tool_calls=request_mapping.tool_calls_in("".join(texts), request),
            truncated_prompt_tokens=dropped,
        )
