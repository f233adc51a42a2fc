"""An engine that forwards generation to an OpenAI-compatible server (vLLM, TGI, llama.cpp, SGLang).

The prompt is rendered here with our Llama-2 template and sent to the
upstream's ``/v1/completions`` route, so the chat formatting is ours whatever
chat template the upstream carries; the answer is always streamed from the
upstream and handed on piece by piece. Sampling goes through
`request_mapping.bounded` (the OpenAI ranges). Limits, documented in
docs/gpu.md:

- ``top_k`` and ``repetition_penalty`` are not in the OpenAI API; they are
  sent (vLLM, SGLang and llama.cpp read them) and an upstream that does not
  know them ignores them. ``seed`` is honoured per request by vLLM and
  llama.cpp; others may ignore it.
- The leading ``<s>`` of the template is left for the upstream to add (every
  Llama server adds BOS), so a ``raw`` prompt gets a BOS too.
- The upstream's context window is read from ``/v1/models`` where it says
  (vLLM's ``max_model_len``), else taken as Llama-2's 4096; ``max_tokens`` is
  capped at half of it. A prompt the upstream refuses as too long is answered
  413 (code 3006); any other upstream refusal or failure is the server's
  fault, a 502.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from conformance.errors import TargetError
from conformance.server.engines import llama2_template, request_mapping
from conformance.server.engines.base import (
    Cancellation,
    EngineUnavailable,
    Event,
    Finished,
    GenerationRequest,
    Piece,
    PromptTooLarge,
    UnknownAdapter,
    Usage,
)
from conformance.transport.sse import SSEDecoder

LLAMA2_CONTEXT_WINDOW = 4096
_TOO_LONG_HINTS = ("context length", "context window", "too long", "maximum context", "max_model_len")
_FINISH_REASONS = {"stop": "eos", "length": "length"}


class OpenAIEngine:
    """Forward each request to ``{base_url}/completions`` of an OpenAI-compatible server.

    ``base_url`` is the upstream's OpenAI base, as the ``openai`` SDK takes it
    (``http://127.0.0.1:8000/v1``)::

        engine = OpenAIEngine.connect("http://127.0.0.1:8000/v1")  # asks /v1/models for the model
        engine.name  # 'openai (TheBloke/Llama-2-13B-chat-AWQ at http://127.0.0.1:8000/v1)'
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        context_window: int = LLAMA2_CONTEXT_WINDOW,
        timeout_s: float = 600.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self.model = model
        self.context_window = context_window
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One pooled client for every worker thread (httpx.Client is thread-safe);
        # generation can take minutes, so only connecting is bounded tightly.
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0), trust_env=False
        )

    @classmethod
    def connect(cls, base_url: str, model: str | None = None, *, api_key: str | None = None) -> OpenAIEngine:
        """Ask the upstream's ``/models`` for its model and window; `TargetError` if it cannot answer."""
        url = base_url.rstrip("/") + "/models"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        try:
            response = httpx.get(url, headers=headers, timeout=10.0, trust_env=False)
        except httpx.HTTPError as exc:
            raise TargetError(f"The upstream at {base_url} cannot be reached ({exc}).") from exc
        if response.status_code != 200:
            raise TargetError(
                f"The upstream answered GET {url} with {response.status_code}: {response.text[:200]}"
            )
        try:
            listed = [entry for entry in response.json()["data"] if isinstance(entry, dict)]
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"GET {url} did not answer an OpenAI model list.") from exc
        names = [str(entry.get("id")) for entry in listed]
        if model is None:
            if len(names) != 1:
                raise TargetError(
                    f"The upstream at {base_url} serves {names or 'no models'}; "
                    "name one with --upstream-model."
                )
            model = names[0]
        elif names and model not in names:
            raise TargetError(f"The upstream at {base_url} does not serve {model!r} (it serves {names}).")
        entry = next((e for e in listed if e.get("id") == model), {})
        window = entry.get("max_model_len")
        return cls(
            base_url,
            model,
            api_key=api_key,
            context_window=window if isinstance(window, int) and window > 1 else LLAMA2_CONTEXT_WINDOW,
        )

    @property
    def name(self) -> str:
        return f"openai ({self.model} at {self._base_url})"

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset()

    def close(self) -> None:
        self._client.close()

    def completion_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The ``/v1/completions`` body for ``request``: our prompt, the mapped sampling, streamed."""
        sampling = request_mapping.bounded(request_mapping.sampling_for(request))
        text = request_mapping.prompt_text(request)
        if not request.raw:
            text = text.removeprefix(llama2_template.BOS)
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": text,
            "max_tokens": min(sampling.max_tokens, self.context_window // 2),
            "temperature": sampling.temperature,
            # The OpenAI fields are always sent, neutral values included, so an
            # upstream's own defaults (vLLM reads the model's generation_config)
            # never stand in for what the request left out.
            "top_p": 1.0 if sampling.top_p is None else sampling.top_p,
            "frequency_penalty": sampling.frequency_penalty,
            "presence_penalty": sampling.presence_penalty,
            "seed": sampling.seed,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        # Not OpenAI fields: sent only when the request set them.
        if sampling.top_k is not None:
            body["top_k"] = sampling.top_k
        if sampling.repetition_penalty != 1.0:
            body["repetition_penalty"] = sampling.repetition_penalty
        return body

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        if request.lora is not None:
            raise UnknownAdapter(request.lora, self.adapters)
        if request.max_tokens <= 0:
            # The OpenAI API refuses max_tokens 0; the schema allows it and it means nothing to generate.
            return iter([Finished(Usage(0, 0), "length")])
        body = self.completion_body(request)
        stream = self._client.stream("POST", self._base_url + "/completions", json=body)
        try:
            response = stream.__enter__()
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"the upstream at {self._base_url} failed: {exc}") from exc
        if response.status_code != 200:
            detail = _error_message(response)
            stream.__exit__(None, None, None)
            raise _refusal(response.status_code, detail)
        return self._events(stream, response, request, cancellation)

    def _events(
        self,
        stream: Any,
        response: httpx.Response,
        request: GenerationRequest,
        cancellation: Cancellation,
    ) -> Iterator[Event]:
        texts: list[str] = []
        usage: Mapping[str, Any] = {}
        finish = "length"
        decoder = SSEDecoder()
        done = False
        try:
            for chunk in response.iter_bytes():
                for event in decoder.feed(chunk):
                    done = done or event.data == "[DONE]"
                    if done:
                        break
                    payload = _json(event.data)
                    if payload.get("error"):
                        # vLLM reports a failure after the status line as an error event.
                        raise EngineUnavailable(f"the upstream failed mid-stream: {payload['error']}")
                    usage = payload.get("usage") or usage
                    for choice in payload.get("choices") or ():
                        if not isinstance(choice, dict):
                            raise EngineUnavailable(
                                f"the upstream sent a choice that is not an object: {choice!r}"
                            )
                        piece = choice.get("text") or ""
                        if piece:
                            texts.append(piece)
                            yield Piece(piece)
                        finish = _FINISH_REASONS.get(choice.get("finish_reason") or "", finish)
                if done:
                    break
                if cancellation.cancelled:
                    # Closing the connection is how an OpenAI server is told to stop.
                    finish = "cancelled"
                    break
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"the upstream's stream broke off: {exc}") from exc
        finally:
            stream.__exit__(None, None, None)
        if not done and finish != "cancelled":
            raise EngineUnavailable("the upstream's stream ended without data: [DONE]")
        yield Finished(
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", len(texts))),
            ),
            stop_reason=finish,
            tool_calls=request_mapping.tool_calls_in("".join(texts), request),
        )


def _json(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise EngineUnavailable(f"the upstream sent an event that is not JSON: {data[:200]!r}") from exc
    if not isinstance(value, dict):
        raise EngineUnavailable(f"the upstream sent an event that is not a JSON object: {data[:200]!r}")
    return value


def _error_message(response: httpx.Response) -> str:
    response.read()
    try:
        error = response.json().get("error") or response.json()
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = response.text
    return str(message)[:500]


def _refusal(status: int, detail: str) -> PromptTooLarge | EngineUnavailable:
    if status in (400, 413, 422) and any(hint in detail.lower() for hint in _TOO_LONG_HINTS):
        return PromptTooLarge(
            f"the prompt does not fit the model's context window (the upstream said: {detail})"
        )
    return EngineUnavailable(f"the upstream answered {status}: {detail}")
