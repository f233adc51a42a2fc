"""A request body's JSON text as results.json measures it, without escaping its long strings.

A boundary case sends a body of megabytes, nearly all of it one string, and
results.json keeps only that text's size and its two ends. ``json.dumps`` would
examine and copy every character of the string to write it; a string with
nothing to escape is its own JSON text between quotes, so it is kept as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

LONG_STRING = 1024
"""Strings at least this long are looked through for what JSON escapes; shorter ones are just written."""

_ESCAPED = (*map(chr, range(0x20)), '"', "\\")
"""What ``json.dumps(..., ensure_ascii=False)`` escapes in a string: controls, the quote, the backslash."""

_WALKED_DEPTH = 8
"""Containers nested deeper are written whole: request bodies hold their long strings near the top."""


def json_pieces(value: Any, depth: int = 0) -> Iterator[str]:
    """``json.dumps(value, ensure_ascii=False)`` in pieces; a long string with nothing to escape is one.

    >>> [p if len(p) < 20 else f"<{len(p)} chars>" for p in json_pieces({"prompt": "é" * 1024, "n": [1]})]
    ['{', '"prompt": ', '"', '<1024 chars>', '"', ', "n": ', '[1]', '}']
    """
    if not _holds_long_string(value, depth):
        yield json.dumps(value, ensure_ascii=False)  # the common body: written at once, in C
    elif type(value) is str:
        # `in` finds one character at memory speed; escaping looks at each one in turn.
        escaped = any(c in value for c in _ESCAPED)
        yield from (json.dumps(value, ensure_ascii=False),) if escaped else ('"', value, '"')
    elif isinstance(value, dict) and all(type(k) is str for k in value):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield (", " if index else "") + json.dumps(key, ensure_ascii=False) + ": "
            yield from json_pieces(item, depth + 1)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ", "
            yield from json_pieces(item, depth + 1)
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


def _holds_long_string(value: Any, depth: int) -> bool:
    if type(value) is str:
        return len(value) >= LONG_STRING
    if depth >= _WALKED_DEPTH:
        return False
    if isinstance(value, dict):
        return any(_holds_long_string(item, depth + 1) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_long_string(item, depth + 1) for item in value)
    return False


def utf8_size(pieces: list[str]) -> int:
    """The bytes of the joined pieces in UTF-8, without joining them."""
    # isascii is a flag CPython keeps on each string: an ASCII piece is as long in bytes.
    return sum(len(p) if p.isascii() else len(p.encode("utf-8")) for p in pieces)


def head(pieces: list[str], chars: int) -> str:
    """The first ``chars`` characters of the joined pieces."""
    taken: list[str] = []
    for piece in pieces:
        if chars <= 0:
            break
        taken.append(piece[:chars])
        chars -= len(piece)
    return "".join(taken)


def tail(pieces: list[str], chars: int) -> str:
    """The last ``chars`` characters of the joined pieces."""
    taken: list[str] = []
    for piece in reversed(pieces):
        if chars <= 0:
            break
        taken.append(piece[-chars:])
        chars -= len(piece)
    return "".join(reversed(taken))
