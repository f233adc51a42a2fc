"""The bytes of a streamed run: one ``data:`` event per piece, a closing event, ``data: [DONE]``.

Matches the capture in CONTRACT.md: each text event carries ``p``, padding
of random length that hides how long each token is.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from conformance.server.engines.base import ToolCall, Usage

_PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789" * 2
_random = random.SystemRandom()

DONE = b"data: [DONE]\n\n"


def padding() -> str:
    """A prefix of ``abc...xyz0123...`` of random length, as the real service sends."""
    return _PADDING_ALPHABET[: _random.randint(1, len(_PADDING_ALPHABET))]


def event(payload: dict[str, Any]) -> bytes:
    """One SSE event; the JSON is ASCII-escaped so no line-break character can split it."""
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode("ascii") + b"\n\n"


def text_event(text: str) -> bytes:
    """A piece of generated text, padded with ``p`` like the real service's events."""
    return event({"response": text, "p": padding()})


def closing_event(usage: Usage, tool_calls: Sequence[ToolCall] = ()) -> bytes:
    """The last event before ``[DONE]``: empty text, the usage and any tool calls."""
    payload: dict[str, Any] = {"response": "", "usage": usage.to_json()}
    if tool_calls:
        payload["tool_calls"] = [call.to_json() for call in tool_calls]
    return event(payload)
