"""`BodyDecoder`: Content-Encoding undone incrementally, capped on the decoded bytes; stacked codings too."""

from __future__ import annotations

import gzip
import zlib

import pytest

from conformance.transport.decoding import BodyDecoder, DecodingError, StackedDecoder, body_decoder


def _feed_all(decoder: BodyDecoder | StackedDecoder, data: bytes, step: int) -> bytes:
    out = b"".join(decoder.feed(data[i : i + step]) for i in range(0, len(data), step))
    return out + decoder.flush()


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "raw-deflate", None, "identity"])
@pytest.mark.parametrize("step", [1, 7, 4096])
def test_each_encoding_decodes_whatever_the_chunking(encoding: str | None, step: int) -> None:
    body = ('{"response": "é€😀"}' * 200).encode("utf-8")
    if encoding in ("gzip", "x-gzip"):
        data = gzip.compress(body)
    elif encoding == "deflate":
        data = zlib.compress(body)
    elif encoding == "raw-deflate":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # what some servers send as "deflate"
        data, encoding = packer.compress(body) + packer.flush(), "deflate"
    else:
        data = body
    decoder = BodyDecoder(encoding, limit=1 << 20)
    assert _feed_all(decoder, data, step) == body and not decoder.over_limit


def test_a_gzip_bomb_stops_one_byte_past_the_limit_and_reads_no_further() -> None:
    bomb = gzip.compress(bytes(64 << 20))  # 64 MiB of zeros in about 64 KiB
    decoder = BodyDecoder("gzip", limit=8 << 20)
    out = decoder.feed(bomb)
    assert len(out) == (8 << 20) + 1 and decoder.over_limit
    assert decoder.feed(bomb) == b"" and decoder.flush() == b""


def test_concatenated_gzip_members_all_decode() -> None:
    decoder = BodyDecoder("gzip", limit=100)
    assert _feed_all(decoder, gzip.compress(b"abc") + gzip.compress(b"def"), 5) == b"abcdef"


def test_an_identity_body_is_cut_at_the_limit() -> None:
    decoder = BodyDecoder(None, limit=10)
    assert decoder.feed(b"x" * 8) + decoder.feed(b"y" * 8) + decoder.feed(b"z") == b"x" * 8 + b"yyy"
    assert decoder.over_limit


def test_corrupt_truncated_and_unknown_encodings_are_errors_that_say_so() -> None:
    with pytest.raises(DecodingError, match="the gzip body does not decode"):
        BodyDecoder("gzip", limit=100).feed(b"\x1f\x8b" + b"garbage" * 10)
    truncated = BodyDecoder("gzip", limit=100)
    truncated.feed(gzip.compress(b"hello world" * 10)[:20])
    with pytest.raises(DecodingError, match="ends before its compressed stream does"):
        truncated.flush()
    with pytest.raises(
        DecodingError, match=r"content-encoding 'br' is not one the client accepts \(gzip, deflate\)"
    ):
        BodyDecoder("br", limit=100)


@pytest.mark.parametrize("encoding", ["deflate, gzip", "gzip, gzip", "identity, gzip", "GZIP , deflate"])
def test_stacked_codings_are_undone_last_first_at_every_split(encoding: str) -> None:
    data = b'{"response":"' + b"stacked " * 500 + b'"}'
    encoded = data
    for coding in [c.strip().lower() for c in encoding.split(",")]:
        if coding == "gzip":
            encoded = gzip.compress(encoded)
        elif coding == "deflate":
            encoded = zlib.compress(encoded)
    for step in (1, 7, len(encoded)):
        decoder = body_decoder(encoding, limit=1 << 20)
        assert _feed_all(decoder, encoded, step) == data


def test_stacked_codings_keep_the_cap_and_refuse_an_unknown_coding() -> None:
    decoder = body_decoder("gzip, gzip", limit=100)
    out = decoder.feed(gzip.compress(gzip.compress(bytes(10**6))))
    assert len(out) <= 101 and decoder.over_limit
    with pytest.raises(DecodingError, match="content-encoding 'br'"):
        body_decoder("gzip, br", limit=100)


def test_pieces_are_bounded_and_decoded_only_when_asked_for() -> None:
    from conformance.transport.decoding import PIECE_BYTES

    decoder = BodyDecoder("gzip", limit=8 << 20)
    pieces = decoder.pieces(gzip.compress(bytes(64 << 20)))
    first = next(pieces)
    assert len(first) == PIECE_BYTES and decoder.produced == PIECE_BYTES  # nothing decoded ahead
    assert all(len(p) <= PIECE_BYTES for p in pieces) and decoder.over_limit


@pytest.mark.parametrize("encoding", ["gzip", "deflate", None])
def test_a_body_within_the_cap_is_kept_whole(encoding: str | None) -> None:
    from conformance.transport.decoding import CappedBody

    body = ('{"response": "é€😀"}' * 5000).encode("utf-8")
    data = {"gzip": gzip.compress, "deflate": zlib.compress}.get(encoding or "", bytes)(body)
    capped = CappedBody(encoding, limit=len(body))
    for start in range(0, len(data), 1000):
        capped.feed(data[start : start + 1000])
    assert capped.finish() == (body, False)


@pytest.mark.parametrize("encoding", ["gzip", None])
def test_a_body_over_the_cap_keeps_only_its_head(encoding: str | None) -> None:
    from conformance.transport.decoding import HEAD_BYTES, CappedBody

    raw = bytes(32 << 20)
    data = gzip.compress(raw) if encoding else raw
    capped = CappedBody(encoding, limit=8 << 20)
    for start in range(0, len(data), 65536):
        capped.feed(data[start : start + 65536])
        if capped.over_limit:
            break
    assert capped.finish() == (bytes(HEAD_BYTES), True)


def test_a_body_cut_short_keeps_what_came_of_its_head() -> None:
    from conformance.transport.decoding import CappedBody

    body = bytes(range(256)) * 8  # 2 KiB that gzip barely shrinks
    capped = CappedBody("gzip", limit=1 << 20)
    capped.feed(gzip.compress(body)[:1000])
    data, truncated = capped.partial()
    assert len(data) > 500 and body.startswith(data) and not truncated
