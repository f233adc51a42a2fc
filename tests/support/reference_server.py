"""Shared by the reference-server tests: the tiny model built once, engines loaded once, URLs.

Imported by the test modules (not a conftest, so it cannot clash with other
suites' fixtures). Building and loading are memoised per process: the first
test that needs the model pays a few seconds, the rest nothing.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.contract import MODEL, run_path
from conformance.server.engines.base import (
    Cancellation,
    Event,
    Finished,
    GenerationRequest,
    Piece,
    Usage,
)

ACCOUNT = "0123456789abcdef0123456789abcdef"
# The token of the server tests/server/conftest.py's `api_base` serves to the clients' tests.
CLIENTS_TOKEN = "test-token"


@functools.cache
def tiny_model_path() -> Path:
    from conformance.server.tiny_model import ensure_tiny_model

    return ensure_tiny_model()


@functools.cache
def tiny_engine() -> Any:
    from conformance.server.engines.transformers_engine import TransformersEngine

    return TransformersEngine.load(tiny_model_path())


def run_url(base_url: str, account: str = ACCOUNT, model: str = MODEL) -> str:
    """``{base}/accounts/{account}/ai/run/{model}`` for a base ending in /client/v4."""
    return base_url + run_path(account, model)


class RecordingEngine:
    """Wraps an engine: optionally slows each piece down, and records how each generation ended."""

    def __init__(self, inner: Any, *, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.finished: list[Finished] = []
        self.done = threading.Event()

    @property
    def name(self) -> str:
        return f"recording({self.inner.name})"

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset(self.inner.adapters)

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        for event in self.inner.generate(request, cancellation):
            if isinstance(event, Finished):
                self.finished.append(event)
                self.done.set()
            elif self.delay_s:
                time.sleep(self.delay_s)
            yield event


class ScriptedEngine:
    """Says the same text to every request, in the given pieces: for mechanisms the tiny model cannot show."""

    def __init__(self, pieces: list[str], *, tools_parsed: bool = True) -> None:
        self.pieces = pieces
        self.tools_parsed = tools_parsed

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def adapters(self) -> frozenset[str]:
        return frozenset({"loaded-adapter"})

    def generate(self, request: GenerationRequest, cancellation: Cancellation) -> Iterator[Event]:
        from conformance.server.engines.tool_calls import parse_tool_calls

        for piece in self.pieces:
            yield Piece(piece)
        text = "".join(self.pieces)
        calls = parse_tool_calls(text, request.tools) if request.tools else ()
        yield Finished(Usage(3, len(self.pieces)), "eos", tool_calls=calls)
