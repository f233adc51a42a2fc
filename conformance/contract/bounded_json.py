"""Reading JSON that a target sent: any bytes in, a value or a `JSONReadError` out, never a crash.

Python's json module recurses once per nesting level, so a body of 200 000
nested arrays raises RecursionError (or worse, exhausts the C stack); it turns
a 100 000-digit integer into a ValueError about "integer string conversion"
and ``1e999999`` into ``inf``, and it accepts ``NaN``, which no JSON writer may
then write back. `read_json` measures the nesting first with a linear scan
(regular expressions, no recursion) and refuses what it cannot hold, saying why::

    >>> read_json(b'{"response": "hi"}')
    {'response': 'hi'}
    >>> read_json(b"[" * 200_000 + b"]" * 200_000)
    Traceback (most recent call last):
    ...
    conformance.errors.JSONReadError: JSON nested deeper than 128 levels
"""

from __future__ import annotations

import json
import math
import operator
import re
import sys
from itertools import accumulate, repeat
from typing import Any

from conformance.errors import JSONReadError

MAX_DEPTH = 128
"""Deepest nesting read from a target; the contract's deepest body is a handful of levels."""

MAX_INT_DIGITS = 4300
"""Longest integer read: Python's default int-string conversion limit, kept even where it is lifted."""

# A JSON string, escapes included; an unterminated one runs to the end, as the parser would read it.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # minus one: +1 to open, -1 to close

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "JSONReadError", "read_json"]


def read_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data`` as JSON (RFC 8259), refusing what Python cannot hold; raises `JSONReadError`.

    Bytes are decoded as json.loads decodes them (UTF-8, -16 or -32 by their
    first bytes), strictly: a byte that is not in the encoding is an error.

    >>> read_json(b'{"n": NaN}')
    Traceback (most recent call last):
    ...
    conformance.errors.JSONReadError: NaN is not a JSON number
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode(json.detect_encoding(data))
        except UnicodeDecodeError as exc:
            raise JSONReadError(f"bytes that are not {exc.encoding} at byte {exc.start}") from None
    else:
        text = data
    _check_depth(text, max_depth)
    try:
        return json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except JSONReadError:
        raise
    except RecursionError:
        # Only when the caller's own stack is nearly full: the depth is already bounded.
        raise JSONReadError(f"JSON too deep to read here (under {max_depth} levels)") from None
    except json.JSONDecodeError as exc:
        raise JSONReadError(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # a number the hooks let through but int() or float() refused
        raise JSONReadError(str(exc)) from None


def _check_depth(text: str, max_depth: int) -> None:
    """Raise when brackets outside strings nest deeper than ``max_depth``: linear, no recursion."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot be too deep: the common case costs two counts
    structure = _STRING.sub("", text)  # brackets inside strings are not structure
    brackets = _NOT_BRACKET.sub("", structure)
    if re.search(f"[\\[{{]{{{max_depth + 1}}}", brackets):
        # The usual attack, max_depth + 1 openers in a row, found without walking the rest.
        raise JSONReadError(f"JSON nested deeper than {max_depth} levels")
    steps = brackets.encode("ascii").translate(_STEP)
    # The running depth after each bracket, computed by C iterators: a results.json of
    # megabytes holds millions of brackets, and a Python loop over them takes seconds.
    depths = accumulate(map(operator.sub, steps, repeat(1)))
    deepest = max(depths, default=0)
    if deepest > max_depth:
        raise JSONReadError(f"JSON nested deeper than {max_depth} levels ({deepest} levels)")


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JSONReadError(
            f"an integer of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are read)"
        )
    return int(digits)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
        raise JSONReadError(f"the number {shown} is beyond the range of a double ({sys.float_info.max:g})")
    return value


def _refuse_constant(name: str) -> Any:
    raise JSONReadError(f"{name} is not a JSON number")
