"""A small OpenAI-compatible server on loopback: it stands in for vLLM (or TGI, llama.cpp) in the tests.

No vLLM can run on this CPU machine, so the openai engine is tested against
this: the real tiny model behind ``GET /v1/models`` and a streaming
``POST /v1/completions`` that refuses what vLLM's OpenAI server refuses
(temperature above 2, top_p outside (0, 1], max_tokens below 1, a prompt
plus completion longer than the window, with vLLM's wording) and adds BOS to
the prompt as vLLM's tokenizer does. ``fail_with`` makes it answer every
completion with that status, and ``fail_mid_stream`` send vLLM's error
event after the first piece, for the error paths.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.server.embedded import serving
from conformance.server.engines.base import Cancellation, Finished, GenerationRequest, Piece

MODEL = "TheBloke/Llama-2-13B-chat-AWQ"
_FINISH = {"eos": "stop", "length": "length", "cancelled": "abort"}


class OpenAIUpstream:
    """The stand-in's state: the engine behind it, what it received, how it should fail."""

    def __init__(self, engine: Any, *, api_key: str | None = None, fail_with: int | None = None) -> None:
        self.engine = engine
        self.api_key = api_key
        self.fail_with = fail_with
        self.fail_mid_stream = False
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/completions", self.completions, methods=["POST"]),
            ]
        )

    @property
    def window(self) -> int:
        return int(self.engine.context_window)

    async def models(self, request: Request) -> Response:
        if refused := self._unauthorized(request):
            return refused
        entry = {"id": MODEL, "object": "model", "owned_by": "vllm", "max_model_len": self.window}
        return JSONResponse({"object": "list", "data": [entry]})

    async def completions(self, request: Request) -> Response:
        if refused := self._unauthorized(request):
            return refused
        body = await request.json()
        self.received.append(body)
        if self.fail_with is not None:
            return _error(self.fail_with, "the stand-in was told to fail")
        if body.get("model") != MODEL:
            return _error(404, f"The model `{body.get('model')}` does not exist.")
        if problem := _vllm_refusal(body):
            return _error(400, problem)
        prompt = "<s>" + body["prompt"]  # vLLM's tokenizer adds BOS
        prompt_tokens = len(self.engine.encoder.encode(prompt))
        wanted = prompt_tokens + body["max_tokens"]
        if wanted > self.window:
            return _error(
                400,
                f"This model's maximum context length is {self.window} tokens. However, you requested "
                f"{wanted} tokens ({prompt_tokens} in the messages, {body['max_tokens']} in the completion). "
                "Please reduce the length of the messages or completion.",
            )
        if body.get("stream") is not True:
            return _error(400, "this stand-in answers streamed completions only")
        generation = GenerationRequest(
            prompt=prompt,
            raw=True,
            max_tokens=body["max_tokens"],
            temperature=body.get("temperature", 1.0),
            top_p=body.get("top_p"),
            top_k=body.get("top_k"),
            seed=body.get("seed"),
            repetition_penalty=body.get("repetition_penalty"),
            frequency_penalty=body.get("frequency_penalty"),
            presence_penalty=body.get("presence_penalty"),
        )
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(self._chunks(generation, usage), media_type="text/event-stream")

    def _chunks(self, generation: GenerationRequest, usage: bool) -> Iterator[bytes]:
        # A sync iterator: Starlette runs it on a worker thread, as the model needs.
        created = int(time.time())

        def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            payload = {"id": "cmpl-standin", "object": "text_completion", "created": created, "model": MODEL}
            return f"data: {json.dumps({**payload, 'choices': choices, **extra})}\n\n".encode()

        for event in self.engine.generate(generation, Cancellation()):
            if isinstance(event, Piece):
                yield chunk([{"index": 0, "text": event.text, "finish_reason": None}])
                if self.fail_mid_stream:
                    # As vLLM's server reports an engine failure once the status is sent.
                    yield b'data: {"error": {"message": "engine died", "code": 500}}\n\n'
                    return
            elif isinstance(event, Finished):
                yield chunk([{"index": 0, "text": "", "finish_reason": _FINISH[event.stop_reason]}])
                if usage:
                    yield chunk([], usage=event.usage.to_json())
        yield b"data: [DONE]\n\n"

    def _unauthorized(self, request: Request) -> Response | None:
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return _error(401, "Unauthorized")


def _vllm_refusal(body: dict[str, Any]) -> str | None:
    temperature = body.get("temperature", 1.0)
    top_p = body.get("top_p", 1.0)
    if not 0.0 <= temperature <= 2.0:
        return f"temperature must be in [0, 2], got {temperature}."
    if not 0.0 < top_p <= 1.0:
        return f"top_p must be in (0, 1], got {top_p}."
    if body.get("max_tokens", 16) < 1:
        return f"max_tokens must be at least 1, got {body.get('max_tokens')}."
    return None


def _error(status: int, message: str) -> JSONResponse:
    error = {"message": message, "type": "BadRequestError", "param": None, "code": status}
    return JSONResponse({"error": error}, status_code=status)


@contextlib.contextmanager
def running_upstream(upstream: OpenAIUpstream) -> Iterator[str]:
    """Serve the stand-in on a free loopback port; yield its OpenAI base URL (ending in /v1)."""
    with serving(upstream.app) as origin:
        yield f"{origin}/v1"
