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
