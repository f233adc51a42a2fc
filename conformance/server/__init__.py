"""The reference server: the contract implemented over a real model.

It depends on contract, and on transport's SSE decoder for the openai engine.
Importing this package never imports torch: engines that need it load it when built.
"""

from __future__ import annotations

from conformance.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from conformance.server.embedded import load_default_engine, running_reference_server, serving
from conformance.server.engines.base import (
    Cancellation,
    ChatMessage,
    Engine,
    EngineError,
    EngineUnavailable,
    Finished,
    GenerationRequest,
    Piece,
    PromptTooLarge,
    ToolCall,
    ToolSpec,
    UnknownAdapter,
    Usage,
)

__all__ = [
    # serving
    "DEFAULT_MAX_BODY_BYTES",
    "create_app",
    "load_default_engine",
    "running_reference_server",
    "serving",
    # the engine interface
    "Cancellation",
    "ChatMessage",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Finished",
    "GenerationRequest",
    "Piece",
    "PromptTooLarge",
    "ToolCall",
    "ToolSpec",
    "UnknownAdapter",
    "Usage",
]
