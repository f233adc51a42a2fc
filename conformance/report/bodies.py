"""Bodies and stream transcripts shortened for reading: long strings and lists keep head and tail.

A 131072-character prompt must not make a report unreadable or slow, but the
reader still needs to see that it was that long and what it looked like.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.report import _fields as f

LONG_STRING = 400
"""Strings longer than this are shown as head, tail and length."""

LIST_HEAD, LIST_TAIL = 20, 5
"""Lists longer than their sum show this many items from each end."""

MAX_TEXT = 16_000
"""Characters of any one body or event shown at most."""

MAX_CONTENT_CHARS = 131072
"""maxLength of ``prompt`` and of each message's ``content`` (CONTRACT.md)."""


@dataclass(frozen=True)
class BodyView:
    """A body ready to print: its text and a line about what was left out."""

    kind: str  # "json" | "text" | "summary" | "none"
    text: str = ""
    note: str = ""


def count(n: int | float) -> str:
    """``131072`` as ``131,072``."""
    return f"{int(n):,}"


def _clip(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    head = limit * 3 // 4
    return text[:head] + f"\n… {count(len(text) - limit)} characters left out …\n" + text[
        -(limit - head) :
    ], True


def _long_string(value: str) -> str:
    marker = " (maxLength)" if len(value) == MAX_CONTENT_CHARS else ""
    head = json.dumps(value[:120], ensure_ascii=False)
    tail = json.dumps(value[-60:], ensure_ascii=False)
    return f"{head} … {tail} /* {count(len(value))} chars{marker} */"


def pretty_json(value: Any) -> str:
    """Indented JSON with long strings and lists shortened, marked with their full length.

    >>> print(pretty_json({"prompt": "x" * 500}))
    {
      "prompt": "xxxx...xxxx" … "xxxx...xxxx" /* 500 chars */
    }
    """
    nonce = secrets.token_hex(6)
    replacements: dict[str, str] = {}

    def placeholder(rendered: str) -> str:
        key = f"@@{nonce}-{len(replacements)}@@"
        replacements[json.dumps(key)] = rendered
        return key

    def shorten(node: Any) -> Any:
        if isinstance(node, str):
            return placeholder(_long_string(node)) if len(node) > LONG_STRING else node
        if isinstance(node, Mapping):
            return {str(k): shorten(v) for k, v in node.items()}
        if isinstance(node, list):
            if len(node) <= LIST_HEAD + LIST_TAIL:
                return [shorten(v) for v in node]
            left_out = len(node) - LIST_HEAD - LIST_TAIL
            return [
                *(shorten(v) for v in node[:LIST_HEAD]),
                placeholder(f"/* … {count(left_out)} more items ({count(len(node))} in all) … */"),
                *(shorten(v) for v in node[-LIST_TAIL:]),
            ]
        return node

    rendered = json.dumps(shorten(value), indent=2, ensure_ascii=False)
    if replacements:
        rendered = re.sub(
            r'"@@' + nonce + r'-\d+@@"', lambda m: replacements.get(m.group(0), m.group(0)), rendered
        )
    return _clip(rendered)[0]


def request_body(request: Mapping[str, Any]) -> BodyView:
    """The request body as recorded, or the runner's summary of a body over 4 KiB."""
    summary = f.mapping(request, "body_summary")
    if summary:
        return summary_view(summary)
    if "body" not in request or request.get("body") is None:
        return BodyView("none", note="no body recorded")
    body = request["body"]
    if isinstance(body, str):
        # A body the runner kept as text was not JSON (a malformed-JSON case).
        clipped, cut = _clip(body)
        return BodyView("text", clipped, "raw text, shortened" if cut else "raw text (not JSON)")
    return BodyView("json", pretty_json(body))


def summary_view(summary: Mapping[str, Any]) -> BodyView:
    """A line and a head/tail for a body the runner summarised instead of storing."""
    chars = f.integer(summary, "chars")
    size = f.integer(summary, "bytes")
    facts = []
    if chars is not None:
        facts.append(f"{count(chars)} characters")
    if size is not None:
        facts.append(f"{count(size)} bytes")
    note = f.text(summary, "note")
    line = "Body summarised" + (f": {', '.join(facts)}" if facts else "") + (f". {note}" if note else ".")
    head, tail = f.text(summary, "head"), f.text(summary, "tail")
    shown = head + ("\n… middle left out …\n" + tail if tail else "")
    return BodyView("summary", _clip(shown)[0], line)


def response_body(response: Mapping[str, Any]) -> BodyView:
    """A non-streamed response body: JSON when it parsed, else its text."""
    truncated = " Truncated by the runner." if f.flag(response, "body_truncated") else ""
    if response.get("body") is not None:
        return BodyView("json", pretty_json(response["body"]), truncated.strip())
    body_text = response.get("body_text")
    if isinstance(body_text, str):
        clipped, cut = _clip(body_text)
        note = "Not JSON." + truncated + (" Shortened here." if cut else "")
        return BodyView("text", clipped, note)
    return BodyView("none", note="empty body" + truncated)


@dataclass(frozen=True)
class Event:
    """One numbered event of a transcript."""

    index: int
    data: str
    broke: bool = False


@dataclass(frozen=True)
class Transcript:
    """A stream's events as recorded, with where it broke and what was left out."""

    facts: str
    rows: list[Event | str] = field(default_factory=list)  # a str row is a gap or end marker
    broke_at: str = ""
    broke_at_end: bool = False


_EVENT_INDEX = re.compile(r"\bevent (\d+)")


def transcript(stream: Mapping[str, Any]) -> Transcript:
    """Events numbered in order; gaps where the runner kept only both ends; the break marked."""
    broke_at = f.text(stream, "broke_at")
    broken_index: int | None = None
    match = _EVENT_INDEX.search(broke_at)
    if match:
        broken_index = int(match.group(1))
    facts = []
    events = f.integer(stream, "events")
    if events is not None:
        facts.append(f"{count(events)} events")
    size = f.integer(stream, "bytes")
    if size is not None:
        facts.append(f"{count(size)} bytes")
    facts.append("ended with data: [DONE]" if f.flag(stream, "done") else "no data: [DONE]")
    after_done = f.integer(stream, "after_done")
    if after_done:
        facts.append(f"{count(after_done)} events after [DONE]")
    first = f.number(stream, "first_event_s")
    if first is not None:
        facts.append(f"first event after {first * 1000:.0f} ms")

    rows: list[Event | str] = []
    marked = False
    expected = 0
    for event in f.items(stream, "transcript"):
        index = f.integer(event, "index")
        if index is None:
            index = expected
        if index > expected:
            rows.append(f"… events {expected} to {index - 1} not kept …")
        data = f.text(event, "data")
        if len(data) > 2000:
            data = data[:1500] + f" … ({count(len(data))} chars) … " + data[-300:]
        broke = index == broken_index
        marked = marked or broke
        rows.append(Event(index, data, broke))
        expected = index + 1
    if events is not None and events > expected and f.flag(stream, "transcript_truncated"):
        rows.append(f"… events {expected} to {events - 1} not kept …")
    return Transcript(", ".join(facts), rows, broke_at, bool(broke_at) and not marked)
