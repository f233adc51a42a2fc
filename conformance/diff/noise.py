"""The noise floor: a fact that one side does not answer the same way twice says nothing when it differs.

The idea is Diffy's (Twitter's diffing proxy): send the same requests to a
primary and a secondary copy of the reference; whatever differs between those
two is noise, and a difference from the candidate counts only where the
primary and the secondary agree. Here the reference is asked twice when it is
live; a capture answered once, so the target is asked twice instead.

>>> noise_reason("reference", "status", 200, 429)
'the reference answered 200 the first time and 429 the second'
>>> noise_reason("reference", "status", 200, 200) is None
True
"""

from __future__ import annotations

from typing import Any

SHOWN_TEXT_CHARS = 120
"""Generated text is shown this long in messages and reports; it is compared whole."""


def noise_reason(sample: str, fact: str, first: Any, second: Any) -> str | None:
    """Why ``fact`` is noise, when the side asked twice (``sample``) gave two values; None when it agreed."""
    if first == second:
        return None
    said = f"{describe(fact, first)} the first time and {describe(fact, second)} the second"
    return f"the {sample} answered {said}"


def shown(fact: str, value: Any) -> Any:
    """``value`` as reports keep it: generated text shortened, everything else as it is."""
    if fact == "text" and isinstance(value, str) and len(value) > SHOWN_TEXT_CHARS:
        return value[:SHOWN_TEXT_CHARS] + "…"
    return value


def describe(fact: str, value: Any) -> str:
    """A value in a sentence: ``nothing`` for an absent fact, text quoted and shortened."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, str) and fact == "text":
        return repr(shown(fact, value))
    return str(value)
