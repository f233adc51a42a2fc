"""An incremental Server-Sent Events decoder following the WHATWG rules.

Bytes arrive in arbitrary chunks: a chunk may end inside a multi-byte UTF-8
character, between the CR and LF of a CRLF, or in the middle of a field name.
The decoder keeps exactly the state the specification describes (a line
buffer, the data buffer, the event type, the last event id) and never uses
``str.splitlines``, which also splits on U+2028, U+0085 and friends that JSON
text may carry unescaped.

    >>> decoder = SSEDecoder()
    >>> decoder.feed(b'data: {"response":"Hel')
    []
    >>> [e.data for e in decoder.feed(b'lo"}\\r\\n\\r\\ndata:[DONE]\\n\\n')]
    ['{"response":"Hello"}', '[DONE]']
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile("[\r\n]")
_FIELDS = frozenset({"data", "event", "id", "retry"})
_KEPT_MISNAMED = 5  # lines quoted as misnamed: enough to show the pattern
_SHOWN = 80  # characters of a line quoted in a message


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event: its data (lines joined with LF), type and last event id."""

    data: str
    event: str = "message"
    id: str = ""


class SSEDecoder:
    """Feed bytes, get the events they complete.

    ``feed`` returns the events that the new bytes complete; ``close`` returns
    nothing (an event without its terminating blank line is discarded, as the
    specification requires) but reports whether such a partial event was pending.
    Lines whose field name only resembles a field (``Data:``, ``data :``) are
    ignored, as the specification requires, and the first few kept in ``misnamed``.
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line: list[str] = []
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._first = True  # a leading BOM is stripped once
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._pending = False  # a field has been seen since the last dispatch
        self.misnamed: list[str] = []

    @property
    def pending(self) -> bool:
        """Whether an unterminated line or event is buffered."""
        return self._pending or bool(self._line)

    def lost(self) -> str:
        """What an end of stream now would discard, as a clause for a message; empty when nothing.

        Call after `close`.
        """
        if self._line:
            line = "".join(self._line)
            return f"; its last line, {_quote(line)}, has no line ending, so an SSE reader discards it"
        if self._data:
            data = "\n".join(self._data)
            return (
                f"; its last event, data {_quote(data)}, has no blank line after it, so an SSE reader "
                "discards it (an event is dispatched only at a blank line)"
            )
        return ""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk`` and return the events it completes, in order."""
        text = self._utf8.decode(chunk)
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        return self._lines(text)

    def close(self) -> list[SSEEvent]:
        """Signal the end of the stream; flushes the UTF-8 decoder. Partial events are dropped."""
        tail = self._utf8.decode(b"", final=True)
        return self._lines(tail) if tail else []

    def _lines(self, text: str) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        start = 0
        length = len(text)
        if self._skip_lf and length:
            self._skip_lf = False
            if text[0] == "\n":
                start = 1
        # Jump from line end to line end (a C search), not character by character:
        # a hostile line of megabytes would otherwise cost seconds of Python.
        while (found := _LINE_END.search(text, start)) is not None:
            i = found.start()
            self._line.append(text[start:i])
            line = "".join(self._line)
            self._line.clear()
            event = self._process(line)
            if event is not None:
                events.append(event)
            if text[i] == "\r":
                if i + 1 < length:
                    if text[i + 1] == "\n":
                        i += 1
                else:
                    self._skip_lf = True
            start = i + 1
        if start < length:
            self._line.append(text[start:])
        return events

    def _process(self, line: str) -> SSEEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._pending = True
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name != "retry" and name.strip(" \t\ufeff").lower() in _FIELDS:
            if len(self.misnamed) < _KEPT_MISNAMED:
                self.misnamed.append(line[:_SHOWN])
        # "retry" and unknown fields are ignored: a client of this API has no use for them.
        return None

    def _dispatch(self) -> SSEEvent | None:
        self._pending = False
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SSEEvent("\n".join(data), event or "message", self._last_id)


def _quote(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")
