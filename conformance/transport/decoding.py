"""Undoing a response's Content-Encoding with a cap on what it decodes to.

httpx decodes gzip whole chunk by chunk: one 64 KiB chunk of a gzip bomb
becomes 64 MiB in memory before any cap can look at it. `BodyDecoder` asks
zlib for at most the bytes still allowed, so a body's cap counts decoded bytes
and a bomb costs no more memory than the cap::

    >>> import gzip
    >>> decoder = BodyDecoder("gzip", limit=1000)
    >>> len(decoder.feed(gzip.compress(bytes(10**6))))
    1001
    >>> decoder.over_limit
    True
"""

from __future__ import annotations

import zlib

ACCEPTED_ENCODINGS = "gzip, deflate"
"""What the client sends as Accept-Encoding: exactly what `BodyDecoder` can undo."""

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class DecodingError(Exception):
    """The body's encoding is unknown or its bytes do not decode; the message says which."""


class BodyDecoder:
    """Feed raw body bytes, get decoded bytes; never more than ``limit + 1`` of them in all.

    The one byte past the limit lets the caller tell "exactly at the cap" from
    "over it". Once over, further input is dropped unread.
    """

    def __init__(self, content_encoding: str | None, *, limit: int) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        if encoding not in ("identity", "") and encoding not in _WBITS:
            raise DecodingError(
                f"content-encoding {encoding!r} is not one the client accepts ({ACCEPTED_ENCODINGS})"
            )
        self.encoding = encoding if encoding in _WBITS else "identity"
        self.produced = 0
        self._allowed = limit + 1
        self._zlib = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
        self._started = False
        # "deflate" means zlib-wrapped (RFC 9110), but some servers send raw deflate, which
        # httpx reads too: the first two bytes tell them apart, so they wait here until both came.
        self._head = bytearray() if self.encoding == "deflate" else None

    @property
    def over_limit(self) -> bool:
        """Whether the body decoded to more than the limit."""
        return self.produced >= self._allowed

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` completes, within what the limit still allows."""
        room = self._allowed - self.produced
        if room <= 0 or not raw:
            return b""
        if self._zlib is None:
            out = raw[:room]
        else:
            if self._head is not None:
                self._head.extend(raw)
                if len(self._head) < 2:
                    return b""
                raw, self._head = bytes(self._head), None
                if not _zlib_header(raw):
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inflate(raw, room)
        self.produced += len(out)
        return out

    def flush(self) -> bytes:
        """What the decoder still holds at the end of the body; an incomplete gzip is an error."""
        if self._head:
            raise DecodingError(f"the {self.encoding} body ends after {len(self._head)} byte")
        if self._zlib is None or self.over_limit:
            return b""
        room = self._allowed - self.produced
        try:
            out = self._zlib.flush(room) if room > 0 else b""
        except zlib.error as exc:
            raise DecodingError(f"the {self.encoding} body does not decode: {exc}") from None
        self.produced += len(out)
        if self._started and not self._zlib.eof and not self.over_limit:
            raise DecodingError(f"the {self.encoding} body ends before its compressed stream does")
        return out

    def _inflate(self, raw: bytes, room: int) -> bytes:
        assert self._zlib is not None
        pieces: list[bytes] = []
        data = raw
        while data and room > 0:
            try:
                piece = self._zlib.decompress(data, room)
            except zlib.error as exc:
                raise DecodingError(f"the {self.encoding} body does not decode: {exc}") from None
            self._started = True
            pieces.append(piece)
            room -= len(piece)
            if not piece and len(self._zlib.unconsumed_tail) == len(data):
                break  # no progress: wait for more input
            data = self._zlib.unconsumed_tail
            if self._zlib.eof and self._zlib.unused_data:
                # A gzip body may hold several members back to back (RFC 1952).
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(_WBITS[self.encoding])
        return b"".join(pieces)


def _zlib_header(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950: method 8, check bits a multiple of 31)."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class StackedDecoder:
    """Several content codings in the order they were applied (``"deflate, gzip"``), undone last first.

    Each stage is a `BodyDecoder` with the same cap, so no stage inflates past it.
    """

    def __init__(self, content_encoding: str, *, limit: int) -> None:
        codings = [c.strip() for c in content_encoding.split(",") if c.strip()]
        self._stages = [BodyDecoder(c, limit=limit) for c in reversed(codings)]
        self.encoding = ", ".join(codings)

    @property
    def over_limit(self) -> bool:
        """Whether any stage decoded to more than the limit."""
        return any(stage.over_limit for stage in self._stages)

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` completes, through every stage."""
        for stage in self._stages:
            raw = stage.feed(raw)
        return raw

    def flush(self) -> bytes:
        """What the stages still hold at the end of the body, each flushed into the next."""
        data = b""
        for stage in self._stages:
            data = stage.feed(data) + stage.flush()
        return data


def body_decoder(content_encoding: str | None, *, limit: int) -> BodyDecoder | StackedDecoder:
    """The decoder for a Content-Encoding value: one coding, or several stacked; raises `DecodingError`."""
    if content_encoding is not None and "," in content_encoding:
        return StackedDecoder(content_encoding, limit=limit)
    return BodyDecoder(content_encoding, limit=limit)
