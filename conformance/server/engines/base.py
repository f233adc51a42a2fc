"""The one interface between the HTTP layer and whatever produces text.

The HTTP layer turns a schema-valid body into a `GenerationRequest`, calls
`Engine.generate` from a worker thread, and turns the `Piece` values it yields
into JSON or server-sent events. It never sees tokens, tensors or torch: an
engine that forwards to an OpenAI-compatible server (vLLM, TGI, llama.cpp) or
one that loads an AWQ checkpoint implements the same three members.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation: ``role`` is free text in the schema (system, user, assistant, tool ...)."""

    role: str
    content: str


@dataclass(frozen=True)
class ToolSpec:
    """A tool the caller offers, flattened from either schema form (flat or OpenAI-style)."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for: the output schema's ``{name, arguments}``."""

    name: str
    arguments: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": dict(self.arguments)}


@dataclass(frozen=True)
class GenerationRequest:
    """Everything an engine needs to generate, already validated against the input schema.

    Exactly one of ``prompt`` and ``messages`` is set. With ``raw`` the prompt
    is passed to the model untouched; otherwise the engine applies its chat
    template (a ``prompt`` is then one user turn). ``None`` for a sampling
    parameter means the request left it out and the engine's neutral value
    applies (no top_k/top_p filtering, no penalty, a fresh random seed).

    >>> GenerationRequest(prompt="Hello", max_tokens=16, temperature=0.0).raw
    False
    """

    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    raw: bool = False
    max_tokens: int = 256
    temperature: float = 0.6
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    repetition_penalty: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    tools: tuple[ToolSpec, ...] = ()
    lora: str | None = None

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("GenerationRequest needs exactly one of prompt and messages")


@dataclass(frozen=True)
class Usage:
    """Token accounting, as the contract's ``usage`` object."""

    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True)
class Piece:
    """Text produced since the previous piece; may be empty."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The last item of every generation: usage, why it stopped, and tool calls if any.

    ``stop_reason`` is ``"eos"`` (the model ended its answer), ``"length"``
    (``max_tokens`` or the context window was reached) or ``"cancelled"``.
    """

    usage: Usage
    stop_reason: str
    tool_calls: tuple[ToolCall, ...] = ()
    truncated_prompt_tokens: int = 0


Event = Piece | Finished


@dataclass
class Cancellation:
    """Set by the HTTP layer when the client goes away; engines check it between tokens."""

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class EngineError(Exception):
    """An engine refused a schema-valid request; the HTTP layer maps it to an error envelope."""


class PromptTooLarge(EngineError):
    """The prompt does not fit the engine's context window and the engine cannot cut it: 413, code 3006."""


class EngineUnavailable(EngineError):
    """What produces the text failed (an upstream's error or lost connection): the server's fault, a 502."""


class UnknownAdapter(EngineError):
    """``lora`` names an adapter that this engine has not loaded."""

    def __init__(self, name: str, loaded: frozenset[str]) -> None:
        self.name = name
        self.loaded = loaded
        shown = ", ".join(sorted(loaded)) or "none"
        super().__init__(f"LoRA adapter {name!r} is not loaded on this server (loaded: {shown}).")


@runtime_checkable
class Engine(Protocol):
    """What the HTTP layer calls. Implementations must be safe to call from many threads at once.

    ``generate`` yields zero or more `Piece` values as text is produced and
    then exactly one `Finished`. It checks ``cancellation`` between tokens and
    stops soon after it is set. It raises `EngineError` before yielding
    anything when it refuses the request.
    """

    @property
    def name(self) -> str:
        """A short description for logs: the engine kind and what it serves."""
        ...

    @property
    def adapters(self) -> frozenset[str]:
        """Names of the LoRA adapters a request may select with ``lora``."""
        ...

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        """Produce the answer to one request, piece by piece."""
        ...
