"""OpenAI's ``stop``: end the answer before the first stop sequence, wherever the pieces split it.

An engine hands out text in pieces of its own choosing, so a stop sequence
can straddle two pieces ("Hel" + "lo" for ``stop: ["Hello"]``). The scanner
holds back the longest tail of what it has seen that could still begin a
stop sequence, and lets everything before it go: a streamed answer never
shows the start of a stop sequence that later completes, and streamed and
non-streamed answers end at the same character.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from conformance.server.engines.base import Cancellation, Event, Piece

STOPPED = "stop_sequence"
"""The ``stop_reason`` of a generation that a stop sequence ended."""


class StopScanner:
    """Feed it text piece by piece; it says what may be shown and whether a stop sequence was met.

    >>> scanner = StopScanner(["\\nUser:"])
    >>> scanner.feed("Hi!\\nUs")
    ('Hi!', False)
    >>> scanner.feed("er: more")
    ('', True)
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(stop for stop in stops if stop)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> tuple[str, bool]:
        """The text that is safe to show now, and True once a stop sequence has been seen."""
        if self.stopped:
            return "", True
        seen = self._held + text
        first = min((index for stop in self.stops if (index := seen.find(stop)) >= 0), default=-1)
        if first >= 0:
            self._held = ""
            self.stopped = True
            return seen[:first], True
        keep = self._longest_open_prefix(seen)
        self._held = seen[len(seen) - keep :] if keep else ""
        return seen[: len(seen) - keep], False

    def flush(self) -> str:
        """What was held back, once the text has ended without completing a stop sequence."""
        held, self._held = self._held, ""
        return "" if self.stopped else held

    def _longest_open_prefix(self, seen: str) -> int:
        # The longest suffix of `seen` that is a proper prefix of some stop sequence.
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(seen)), longest, -1):
                if seen.endswith(stop[:size]):
                    longest = size
                    break
        return longest


async def stopping_at(
    events: AsyncIterator[Event], stops: Sequence[str], cancellation: Cancellation
) -> AsyncIterator[Event]:
    """``events`` cut at the first stop sequence: generation is cancelled there and ends as ``STOPPED``.

    Without stop sequences the events pass through untouched.
    """
    scanner = StopScanner(stops)
    if not scanner.stops:
        async for event in events:
            yield event
        return
    async for event in events:
        if isinstance(event, Piece):
            shown, stopped = scanner.feed(event.text)
            if shown:
                yield Piece(shown)
            if stopped:
                cancellation.cancel()
            continue
        rest = scanner.flush()
        if rest:
            yield Piece(rest)
        # The engine saw a cancellation, not a stop sequence; tool calls parsed from
        # text the client never sees are dropped with that text.
        yield replace(event, stop_reason=STOPPED, tool_calls=()) if scanner.stopped else event
