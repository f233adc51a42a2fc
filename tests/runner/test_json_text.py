"""A request body's JSON text in pieces: joined, it is json.dumps's text; measured, the same size and ends."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.runner._json_text import LONG_STRING, head, json_pieces, tail, utf8_size

# Long strings of one character repeated (as boundary cases send them), some with one character JSON escapes.
_long_strings = st.builds(
    lambda char, extra, escaped: char * (LONG_STRING + extra) + escaped,
    st.sampled_from(["a", "é", "€", "😀", " "]),
    st.integers(0, 3000),
    st.sampled_from(["", '"', "\\", "\n", "\x00", "\x1f", "\u2028", "\x7f"]),
)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
_bodies = st.recursive(
    _scalars | _long_strings,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.integers(0, 9), inner, max_size=2)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_bodies, st.integers(0, 300))
def test_the_pieces_are_json_dumps_text_and_measure_as_it_does(body: Any, chars: int) -> None:
    text = json.dumps(body, ensure_ascii=False)
    pieces = list(json_pieces(body))
    assert "".join(pieces) == text
    assert utf8_size(pieces) == len(text.encode("utf-8"))
    assert head(pieces, chars) == text[:chars]
    assert tail(pieces, chars) == (text[-chars:] if chars else "")


def test_a_long_string_with_nothing_to_escape_is_a_piece_of_its_own() -> None:
    prompt = "😀" * LONG_STRING
    pieces = list(json_pieces({"prompt": prompt, "max_tokens": 1}))
    assert pieces == ["{", '"prompt": ', '"', prompt, '"', ', "max_tokens": ', "1", "}"]


def test_nesting_past_the_walk_is_written_at_once() -> None:
    deep: Any = "😀" * LONG_STRING
    for _ in range(20):
        deep = [deep]
    pieces = list(json_pieces(deep))
    assert len(pieces) < 20 and "".join(pieces) == json.dumps(deep, ensure_ascii=False)
