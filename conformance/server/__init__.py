"""The reference server: the contract implemented over a real model.

It depends on contract, and on transport's SSE decoder for the openai engine.
Importing this package never imports torch: engines that need it load it when built.
Each name loads its module on first use (PEP 562), so a light module of the
server (`tiny_model`'s cache folder, `engines.devices`, `checkpoint`) can be
imported without Starlette and uvicorn, which only serving needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each name of `__all__` lives.
_HOMES: dict[str, tuple[str, ...]] = {
    "conformance.server.app": ("DEFAULT_MAX_BODY_BYTES", "create_app"),
    "conformance.server.embedded": ("load_default_engine", "running_reference_server", "serving"),
    "conformance.server.engines.base": (
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
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        # An AttributeError lets `from conformance.server import sse` go on to import the submodule.
        raise AttributeError(f"module 'conformance.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
