"""`read_json`: any bytes in, a value or a JSONReadError with the reason out; never a crash."""

from __future__ import annotations

import json

import pytest

from conformance.contract.bounded_json import MAX_DEPTH, MAX_INT_DIGITS, read_json
from conformance.errors import ConformanceError, JSONReadError


def test_ordinary_json_reads_as_json_loads_reads_it() -> None:
    body = {"result": {"response": "é€😀 \u2028", "usage": {"prompt_tokens": 3}}, "x": [1.5, None, True]}
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert read_json(raw) == body == read_json(raw.decode("utf-8"))
    assert read_json(json.dumps(body).encode("utf-16")) == body  # encodings detected as json.loads does


def test_nesting_deeper_than_the_limit_is_refused_without_recursing() -> None:
    with pytest.raises(JSONReadError, match=r"nested deeper than 128 levels$"):
        read_json(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(JSONReadError, match=r"nested deeper than 128 levels \(201 levels\)"):
        read_json("[[]" * 200 + "]" * 200)  # never 129 openers in a row, still 201 deep
    with pytest.raises(JSONReadError, match="deeper than 128"):
        read_json(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)


def test_nesting_at_the_limit_reads_and_brackets_inside_strings_do_not_count() -> None:
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    inside = '["' + "[" * 10_000 + '\\"[[[", "{{{"]'
    assert read_json(inside) == ["[" * 10_000 + '"[[[', "{{{"]
    assert read_json("[" * 200 + "]" * 200, max_depth=200) is not None


def test_an_unterminated_string_is_not_json_not_too_deep() -> None:
    with pytest.raises(JSONReadError, match="Unterminated string"):
        read_json('["' + "[" * 1000)


def test_huge_integers_and_floats_beyond_a_double_are_refused_with_their_size() -> None:
    with pytest.raises(JSONReadError, match=f"an integer of 100000 digits \\(at most {MAX_INT_DIGITS}"):
        read_json(b'{"n": ' + b"9" * 100_000 + b"}")
    with pytest.raises(JSONReadError, match="an integer of 5000 digits"):
        read_json(b"-" + b"1" * 5000)
    with pytest.raises(JSONReadError, match=r"1e999999 is beyond the range of a double"):
        read_json(b"[1e999999]")
    assert read_json(b"9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    assert read_json(b"0." + b"1" * 100_000) == pytest.approx(0.1111111)  # long but finite


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    with pytest.raises(JSONReadError, match=f"{constant} is not a JSON number"):
        read_json(f'{{"usage": {constant}}}')


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"response": "caf\xe9"}', "bytes that are not utf-8 at byte 17"),
        (b"", "Expecting value"),
        (b"\x00\x01garbage", "not utf-16"),
        (b"HTTP/1.1 200 OK", "Expecting value"),
        (b'{"a": 1} trailing', "Extra data"),
    ],
)
def test_what_is_not_json_says_why(raw: bytes, reason: str) -> None:
    with pytest.raises(JSONReadError, match=reason):
        read_json(raw)


def test_the_error_is_a_conformance_error_and_a_value_error() -> None:
    with pytest.raises(JSONReadError) as caught:
        read_json(b"{")
    assert isinstance(caught.value, ConformanceError) and isinstance(caught.value, ValueError)


def test_lone_surrogate_escapes_are_json_and_read() -> None:
    assert read_json(b'"\\ud800"') == "\ud800"
