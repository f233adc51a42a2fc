"""The OpenAI-compatible route's answers: completion objects, and streams of chunks ending ``[DONE]``.

Chat answers are ``chat.completion`` objects, streamed as
``chat.completion.chunk`` events whose ``delta`` opens with the role, then
carries the text piece by piece, then an empty delta with ``finish_reason``.
Legacy completions are ``text_completion`` objects, streamed the same way
with ``text`` in place of ``delta``. With ``stream_options.include_usage`` a
last chunk with empty ``choices`` carries the usage, as OpenAI sends it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.server import sse
from conformance.server.engines.base import Event, Finished, Piece, ToolCall


@dataclass(frozen=True)
class Answer:
    """What every object and chunk of one answer repeats: its id, creation time and model."""

    id: str
    created: int
    model: str
    chat: bool

    @classmethod
    def new(cls, model: str, *, chat: bool) -> Answer:
        prefix = "chatcmpl" if chat else "cmpl"
        return cls(f"{prefix}-{secrets.token_hex(12)}", int(time.time()), model, chat)

    @property
    def object(self) -> str:
        return "chat.completion" if self.chat else "text_completion"

    @property
    def chunk_object(self) -> str:
        return "chat.completion.chunk" if self.chat else "text_completion"

    def head(self, object_name: str) -> dict[str, Any]:
        return {"id": self.id, "object": object_name, "created": self.created, "model": self.model}


def finish_reason(finished: Finished) -> str:
    """OpenAI's ``finish_reason``: ``tool_calls``, ``length``, else ``stop`` (EOS or a stop sequence)."""
    if finished.tool_calls:
        return "tool_calls"
    return "length" if finished.stop_reason == "length" else "stop"


def whole(answer: Answer, text: str, finished: Finished) -> dict[str, Any]:
    """The non-streamed answer object."""
    choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": finish_reason(finished)}
    if answer.chat:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if finished.tool_calls:
            message["tool_calls"] = tool_calls_json(finished.tool_calls)
        choice["message"] = message
    else:
        choice["text"] = text
    return {**answer.head(answer.object), "choices": [choice], "usage": finished.usage.to_json()}


def tool_calls_json(calls: Sequence[ToolCall], *, indexed: bool = False) -> list[dict[str, Any]]:
    """Calls as OpenAI writes them: ids, ``type: function``, arguments as a JSON string."""
    shown = []
    for index, call in enumerate(calls):
        item: dict[str, Any] = {
            "id": f"call_{secrets.token_hex(8)}",
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
        }
        shown.append({"index": index, **item} if indexed else item)
    return shown


async def chunks(
    answer: Answer, events: AsyncIterator[Event], *, include_usage: bool
) -> AsyncIterator[bytes]:
    """The streamed answer: one chunk per piece of text, the finishing chunk, usage if asked, ``[DONE]``."""
    if answer.chat:
        yield _chunk(answer, {"role": "assistant", "content": ""}, None)
    async for event in events:
        if isinstance(event, Piece):
            if event.text:
                yield _chunk(answer, {"content": event.text} if answer.chat else event.text, None)
            continue
        closing: dict[str, Any] | str = {}
        if answer.chat and event.tool_calls:
            closing = {"tool_calls": tool_calls_json(event.tool_calls, indexed=True)}
        yield _chunk(answer, closing if answer.chat else "", finish_reason(event))
        if include_usage:
            yield sse.event(
                {**answer.head(answer.chunk_object), "choices": [], "usage": event.usage.to_json()}
            )
    yield sse.DONE


def _chunk(answer: Answer, delta: dict[str, Any] | str, reason: str | None) -> bytes:
    choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": reason}
    if answer.chat:
        choice["delta"] = delta
    else:
        choice["text"] = delta
    return sse.event({**answer.head(answer.chunk_object), "choices": [choice]})
