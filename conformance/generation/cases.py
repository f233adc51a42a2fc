"""The case: one request the suite sends, with what the contract expects back.

A case is a frozen value. Its id is derived from what it is, never from when
or where it was made, so baselines and recordings keep matching across runs
and machines.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CaseKind(StrEnum):
    """Where a case comes from."""

    VALID = "valid"  # drawn by hypothesis from the input schema
    BOUNDARY = "boundary"  # built: every bound, length and variant at its edge
    INVALID = "invalid"  # built: one minimal violation per constraint


class Outcome(StrEnum):
    """What the contract expects back."""

    ACCEPT = "accept"  # 2xx with a schema-valid result (JSON or SSE)
    REJECT = "reject"  # 4xx with an error envelope


@dataclass(frozen=True)
class Case:
    """One request body and its expected outcome.

    ``violates`` is set on invalid cases: the JSON pointer into the body and
    the schema keyword the body breaks, e.g. ``("/temperature", "maximum")``.

    >>> Case.build(CaseKind.BOUNDARY, "seed-max", "seed at its maximum",
    ...            {"prompt": "x", "seed": 9999999999}).id
    'boundary/seed-max'
    """

    id: str
    kind: CaseKind
    label: str
    body: Any
    expect: Outcome
    violates: tuple[str, str] | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def stream(self) -> bool:
        """Whether the request asks for Server-Sent Events."""
        return isinstance(self.body, dict) and self.body.get("stream") is True

    def to_json(self) -> dict[str, Any]:
        """The case as a JSON object, the form ``conformance cases --format jsonl`` prints.

        >>> Case.build(CaseKind.VALID, "x", "a label", {"prompt": "x"}).to_json()["expect"]
        'accept'
        """
        return {
            "id": self.id,
            "kind": self.kind.value,
            "label": self.label,
            "expect": self.expect.value,
            "stream": self.stream,
            "violates": list(self.violates) if self.violates else None,
            "tags": list(self.tags),
            "body": self.body,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        """The inverse of `to_json`: ``Case.from_json(case.to_json()) == case``."""
        violates = data.get("violates")
        return cls(
            id=data["id"],
            kind=CaseKind(data["kind"]),
            label=data["label"],
            body=data["body"],
            expect=Outcome(data["expect"]),
            violates=(violates[0], violates[1]) if violates else None,
            tags=tuple(data.get("tags", ())),
        )

    @classmethod
    def build(
        cls,
        kind: CaseKind,
        name: str,
        label: str,
        body: Any,
        *,
        violates: tuple[str, str] | None = None,
        tags: tuple[str, ...] = (),
    ) -> Case:
        """A case whose id is ``{kind}/{name}`` and whose outcome follows from its kind."""
        expect = Outcome.REJECT if kind is CaseKind.INVALID else Outcome.ACCEPT
        return cls(f"{kind.value}/{name}", kind, label, body, expect, violates, tags)


def body_digest(body: Any) -> str:
    """A short content hash of a body, stable across runs, machines and dict order."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


LARGE_BODY_BYTES = 65536
"""Bodies bigger than this (as UTF-8 JSON) carry the ``large`` tag."""

_OPTION_TAGS = ("tools", "functions", "image", "raw", "lora")


def body_tags(body: Any) -> tuple[str, ...]:
    """Tags that say what a body exercises, derived from the body alone.

    The first tag is the branch: ``prompt``, ``messages``, ``both``, ``neither``
    or ``not-object``. Then ``stream`` when it asks for SSE, the options a
    runner may want to filter on (``tools``, ``functions``, ``image``, ``raw``,
    ``lora``) and ``large`` for bodies over 64 KiB.

    >>> body_tags({"prompt": "x", "stream": True, "lora": "a"})
    ('prompt', 'stream', 'lora')
    """
    if not isinstance(body, dict):
        return ("not-object",)
    branches = [key for key in ("prompt", "messages") if key in body]
    tags = ["both" if len(branches) == 2 else branches[0] if branches else "neither"]
    if body.get("stream") is True:
        tags.append("stream")
    tags.extend(key for key in _OPTION_TAGS if key in body)
    if len(json.dumps(body, ensure_ascii=False).encode("utf-8")) > LARGE_BODY_BYTES:
        tags.append("large")
    return tuple(tags)


def body_line(body: Any, width: int = 80) -> str:
    """A one-line picture of a body for tables and reports, at most ``width`` characters.

    Long strings show their first characters and their length in code points;
    characters a terminal would act on (NUL, U+2028, bidi overrides) are
    escaped, so a summary never breaks the line it is printed on.

    >>> body_line({"prompt": "a" * 131072})
    '{"prompt": <131072 chars "aaaaaaaaaaaa…">}'
    """
    text = _render(body)
    return text if len(text) <= width else text[: width - 1] + "…"


_SHORT_STRING = 24
_SHORT_LIST = 4


def _render(node: Any) -> str:
    if isinstance(node, dict):
        return "{" + ", ".join(f"{_quote(str(k))}: {_render(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        shown = [_render(item) for item in node[:_SHORT_LIST]]
        if len(node) > _SHORT_LIST:
            shown.append(f"… {len(node)} items")
        return "[" + ", ".join(shown) + "]"
    if isinstance(node, str):
        if len(node) <= _SHORT_STRING:
            return _quote(node)
        # The length first: a narrow column cuts off the end of a summary.
        return f'<{len(node)} chars {_quote(node[:12])[:-1]}…">'
    return json.dumps(node)


def _quote(text: str) -> str:
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _escape(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    if ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
