"""The SSE decoder: WHATWG line endings, fields and comments, at every chunk boundary."""

from __future__ import annotations

import pytest

from conformance.transport.sse import SSEDecoder


def decode(chunks: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    found: list[str] = []
    for chunk in chunks:
        found.extend(e.data for e in decoder.feed(chunk))
    found.extend(e.data for e in decoder.close())
    return found


def every_split(raw: bytes) -> list[list[bytes]]:
    """The stream whole, byte by byte, and cut in two and three at every position."""
    splits = [[raw], [raw[i : i + 1] for i in range(len(raw))]]
    for i in range(len(raw) + 1):
        splits.append([raw[:i], raw[i:]])
        j = (i + len(raw)) // 2
        splits.append([raw[:i], raw[i:j], raw[j:]])
    return splits


# "é" (2 bytes), "€" (3 bytes), "😀" (4 bytes) and U+2028, which str.splitlines would split on.
TEXT = 'data: {"response":"h\u00e9\u20ac\U0001f600\u2028x"}'
EXPECTED = ['{"response":"h\u00e9\u20ac\U0001f600\u2028x"}', "[DONE]"]


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
def test_every_chunk_boundary_gives_the_same_events(newline: str) -> None:
    raw = (TEXT + newline + newline + ": keep-alive" + newline + "data:[DONE]" + newline + newline).encode()
    for chunks in every_split(raw):
        assert decode(chunks) == EXPECTED, chunks


def test_cr_at_chunk_end_followed_by_lf_is_one_line_ending() -> None:
    # A CR ending one chunk and the LF opening the next must not count as two
    # line endings: that would be a blank line and dispatch "a" too early.
    assert decode([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == ["a\nb"]


def test_multi_line_data_is_joined_with_lf() -> None:
    assert decode([b"data: one\ndata:two\ndata:  three\n\n"]) == ["one\ntwo\n three"]


def test_comments_fields_and_empty_events() -> None:
    raw = b": comment\nevent: ping\nid: 7\nretry: 10\n\n\n\ndata\n\ndata: x\n\n"
    decoder = SSEDecoder()
    events = decoder.feed(raw)
    # "event/id/retry" without data dispatch nothing; a bare "data" line is an empty event.
    assert [(e.data, e.event, e.id) for e in events] == [("", "message", "7"), ("x", "message", "7")]


def test_unterminated_event_is_dropped_and_reported_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"response":"x"}\n') == []
    assert decoder.pending
    assert decoder.close() == []


def test_leading_bom_is_stripped_even_when_split() -> None:
    raw = "\ufeffdata: x\n\n".encode()
    for chunks in every_split(raw):
        assert decode(chunks) == ["x"]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode([b"data: \xff\n\n"]) == ["\ufffd"]


@pytest.mark.parametrize(
    "line", ["Data: x", "data : x", " data: x", "DATA:x", "\ufeffdata: x", "Event: e", "ID: 1"]
)
def test_a_field_name_that_only_resembles_one_is_ignored_and_kept_as_misnamed(line: str) -> None:
    decoder = SSEDecoder()
    assert (
        decoder.feed(f": a comment first, so that a BOM is not the stream's first\n{line}\n\n".encode()) == []
    )
    assert decoder.misnamed == [line]


def test_known_and_unknown_fields_are_not_misnamed_and_only_five_are_kept() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: x\nevent: e\nid: 1\nretry: 5\nmodel: m\nfoo\n\n")
    assert decoder.misnamed == []
    decoder.feed(b"Data: y\n" * 9)
    assert decoder.misnamed == ["Data: y"] * 5


def test_what_an_end_of_stream_would_lose_is_said() -> None:
    unterminated, no_blank_line, complete = SSEDecoder(), SSEDecoder(), SSEDecoder()
    unterminated.feed(b"data: [DONE]")
    no_blank_line.feed(b"data: [DONE]\n")
    complete.feed(b"data: [DONE]\n\n")
    assert "its last line, 'data: [DONE]', has no line ending" in unterminated.lost()
    assert "its last event, data '[DONE]', has no blank line after it" in no_blank_line.lost()
    assert complete.lost() == ""
