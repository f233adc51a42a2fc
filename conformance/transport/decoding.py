"""Undoing a response's Content-Encoding with a cap on what it decodes to.

httpx decodes gzip whole chunk by chunk: one 64 KiB chunk of a gzip bomb
becomes 64 MiB in memory before any cap can look at it. `BodyDecoder` asks
zlib for at most `PIECE_BYTES` at a time and never for more than the cap still
allows, so a body's cap counts decoded bytes; `CappedBody` keeps a whole body
only while it can still fit, so a bomb costs a few pieces of memory, not the cap::

    >>> import gzip
    >>> decoder = BodyDecoder("gzip", limit=1000)
    >>> len(decoder.feed(gzip.compress(bytes(10**6))))
    1001
    >>> decoder.over_limit
    True
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPTED_ENCODINGS = "gzip, deflate"
"""What the client sends as Accept-Encoding: exactly what `BodyDecoder` can undo."""

PIECE_BYTES = 64 * 1024
"""The most decoded bytes one zlib call may produce: what a bomb costs in memory at a time."""

HEAD_BYTES = 4 * 1024
"""What `CappedBody` keeps of a body over its cap or cut short: enough to quote in a report."""

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
        return b"".join(self.pieces(raw))

    def pieces(self, raw: bytes) -> Iterator[bytes]:
        """`feed` a piece at a time: each at most `PIECE_BYTES`, decoded only when asked for.

        A caller that stops asking (its own cap reached) leaves the rest of ``raw`` undecoded.
        """
        if self._allowed - self.produced <= 0 or not raw:
            return
        if self._zlib is None:
            for start in range(0, len(raw), PIECE_BYTES):
                out = raw[start : start + min(PIECE_BYTES, self._allowed - self.produced)]
                if not out:
                    return
                self.produced += len(out)
                yield out
            return
        if self._head is not None:
            self._head.extend(raw)
            if len(self._head) < 2:
                return
            raw, self._head = bytes(self._head), None
            if not _zlib_header(raw):
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        for out in self._inflate(raw):
            self.produced += len(out)
            yield out

    def flush(self) -> bytes:
        """What the decoder still holds at the end of the body; an incomplete gzip is an error."""
        if self._head:
            raise DecodingError(f"the {self.encoding} body ends after {len(self._head)} byte")
        if self._zlib is None or self.over_limit:
            return b""
        room = self._allowed - self.produced
        try:
            # Every byte of input went through `_inflate` already: what is left is zlib's last few.
            out = self._zlib.flush(room)[:room] if room > 0 else b""
        except zlib.error as exc:
            raise DecodingError(f"the {self.encoding} body does not decode: {exc}") from None
        self.produced += len(out)
        if self._started and not self._zlib.eof and not self.over_limit:
            raise DecodingError(f"the {self.encoding} body ends before its compressed stream does")
        return out

    def _inflate(self, raw: bytes) -> Iterator[bytes]:
        assert self._zlib is not None
        data = raw
        while data and (room := self._allowed - self.produced) > 0:
            try:
                piece = self._zlib.decompress(data, min(room, PIECE_BYTES))
            except zlib.error as exc:
                raise DecodingError(f"the {self.encoding} body does not decode: {exc}") from None
            self._started = True
            if piece:
                yield piece  # the caller counts it in `produced` before asking for the next
            if not piece and len(self._zlib.unconsumed_tail) == len(data):
                break  # no progress: wait for more input
            data = self._zlib.unconsumed_tail
            if self._zlib.eof and self._zlib.unused_data:
                # A gzip body may hold several members back to back (RFC 1952).
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(_WBITS[self.encoding])


class CappedBody:
    """A response body read whole, decoded, and kept whole only while it fits the cap.

    Feed the raw bytes as they arrive, then `finish`. A body over the cap keeps
    its first `HEAD_BYTES` and is marked truncated. A compressed body is kept
    compressed while it arrives (its decoded bytes are counted and dropped) and
    decoded once more at the end, so a gzip bomb never holds the cap's worth of
    zeros in memory, only a piece at a time::

        >>> import gzip
        >>> body = CappedBody("gzip", limit=1000)
        >>> body.feed(gzip.compress(bytes(10**6)))
        >>> data, truncated = body.finish()
        >>> len(data), truncated
        (1000, True)
    """

    def __init__(self, content_encoding: str | None, *, limit: int) -> None:
        self._decoder = body_decoder(content_encoding, limit=limit)
        self._encoding = content_encoding
        self._limit = limit
        self._raw: list[bytes] = []  # what came over the wire, while the body may still fit
        self._head = bytearray()

    @property
    def over_limit(self) -> bool:
        """Whether the body decoded to more than the limit."""
        return self._decoder.over_limit

    def feed(self, raw: bytes) -> None:
        """Take the next raw bytes; a `DecodingError` says they do not decode."""
        if self.over_limit:
            return
        self._raw.append(raw)
        self._keep_head(self._decoder.pieces(raw))
        if self.over_limit:
            self._raw.clear()

    def finish(self) -> tuple[bytes, bool]:
        """The decoded body and whether it was cut; a `DecodingError` says the end does not decode."""
        self._keep_head([self._decoder.flush()])
        if self.over_limit:
            return bytes(self._head[: self._limit]), True
        if self._decoder.encoding == "identity":
            return b"".join(self._raw), False
        whole = body_decoder(self._encoding, limit=self._limit)
        return b"".join([*whole.pieces(b"".join(self._raw)), whole.flush()]), False

    def partial(self) -> tuple[bytes, bool]:
        """What is known of a body that stopped early (a timeout, a broken connection): its head."""
        return bytes(self._head), self._decoder.produced > len(self._head)

    def _keep_head(self, pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            if len(self._head) < HEAD_BYTES:
                self._head.extend(piece[: HEAD_BYTES - len(self._head)])


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

    @property
    def produced(self) -> int:
        """Decoded bytes out of the last stage."""
        return self._stages[-1].produced

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` completes, through every stage."""
        return b"".join(self.pieces(raw))

    def pieces(self, raw: bytes) -> Iterator[bytes]:
        """`feed` with the last stage's output a piece at a time (each earlier stage is capped too)."""
        for stage in self._stages[:-1]:
            raw = stage.feed(raw)
        yield from self._stages[-1].pieces(raw)

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
