"""How a response is framed (RFC 9112 section 6, RFC 9110 section 8), and each fault of that framing named.

h11 refuses some framings outright (two Content-Length values that disagree,
a transfer coding other than chunked) and says little when it does; it reads
others without a word (Content-Length beside Transfer-Encoding). The client
keeps the raw bytes of each response head (`conformance.transport.wire`);
this module reads the final head out of them and says, one sentence per
fault, what is wrong and which rule it breaks::

    >>> head = final_head(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nContent-Length: 7\\r\\n\\r\\n")
    >>> head_faults(head)
    ['Content-Length 5 and 7 disagree, so the body has no knowable length (RFC 9112 section 6.3)']
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_STATUS_LINE = re.compile(r"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?")
_DIGITS = re.compile(r"[0-9]+")
_MAX_LENGTH_DIGITS = 19  # h11 refuses more: no body is a billion gigabytes long
_SHOWN = 60  # a field value quoted in a message is kept to this many characters


@dataclass(frozen=True)
class Head:
    """The final (non-1xx) response head found in the raw bytes of a response.

    ``fields`` keeps every field line in order, names lower-cased, so that a
    repeated Content-Length is seen twice. ``end`` is the offset just past the
    blank line that ends the head, counting any interim (1xx) heads before it.
    """

    version: str
    status: int
    reason: str
    fields: tuple[tuple[str, str], ...]
    end: int
    interim: tuple[int, ...] = ()

    def values(self, name: str) -> list[str]:
        """Every value of field ``name`` (lower case), in order."""
        return [value for field, value in self.fields if field == name]

    @property
    def headers(self) -> dict[str, str]:
        """The fields as one dict, repeated fields joined with a comma (RFC 9110 section 5.3)."""
        joined: dict[str, str] = {}
        for name, value in self.fields:
            joined[name] = f"{joined[name]}, {value}" if name in joined else value
        return joined

    @property
    def content_length(self) -> int | None:
        """The body length the head declares, when it declares exactly one and no transfer coding."""
        if self.values("transfer-encoding"):
            return None
        pieces = {piece.strip() for value in self.values("content-length") for piece in value.split(",")}
        if len(pieces) != 1:
            return None
        value = pieces.pop()
        if not _DIGITS.fullmatch(value) or len(value) > _MAX_LENGTH_DIGITS:
            return None
        return int(value)


def final_head(raw: bytes) -> Head | None:
    """The final response head in ``raw`` (interim 1xx heads skipped), or None when there is none whole."""
    start = 0
    interim: list[int] = []
    while (blank := _BLANK_LINE.search(raw, start)) is not None:
        text = raw[start : blank.start()].decode("latin-1")
        lines = re.split(r"\r?\n", text)
        matched = _STATUS_LINE.fullmatch(lines[0])
        if matched is None:
            return None
        status = int(matched[3])
        if 100 <= status < 200 and status != 101:
            interim.append(status)
            start = blank.end()
            continue
        return Head(
            version=f"HTTP/{matched[1]}.{matched[2]}",
            status=status,
            reason=matched[4] or "",
            fields=_fields(lines[1:]),
            end=blank.end(),
            interim=tuple(interim),
        )
    return None


def _fields(lines: list[str]) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and fields:  # obs-fold: a continuation of the previous value
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if colon:
            fields.append((name.strip().lower(), value.strip(" \t")))
    return tuple(fields)


def head_faults(head: Head) -> list[str]:
    """What breaks the framing rules in a final response head, one sentence each; empty when nothing."""
    faults = _length_faults(head) + _coding_faults(head)
    if head.status == 101:
        faults.append(
            "101 Switching Protocols answers a request that asked for no upgrade (RFC 9110 section 15.2.2)"
        )
    return faults


def _length_faults(head: Head) -> list[str]:
    values = head.values("content-length")
    if not values:
        return []
    faults: list[str] = []
    pieces = [piece.strip() for value in values for piece in value.split(",")]
    bad = [p for p in pieces if not _DIGITS.fullmatch(p) or len(p) > _MAX_LENGTH_DIGITS]
    if bad:
        faults.append(
            f"Content-Length {_quote(bad[0])} is not a number of bytes "
            "(RFC 9110 section 8.6: one decimal number)"
        )
    elif len({int(p) for p in pieces}) > 1:
        distinct = list(dict.fromkeys(pieces))
        faults.append(
            f"Content-Length {' and '.join(distinct)} disagree, "
            "so the body has no knowable length (RFC 9112 section 6.3)"
        )
    elif len(pieces) > 1:
        sent = " and ".join(_quote(v) for v in values) if len(values) > 1 else _quote(values[0])
        faults.append(
            f"Content-Length sent as {sent}: RFC 9110 section 8.6 allows one decimal number, "
            "and a recipient may reject a repeated one"
        )
    if head.values("transfer-encoding"):
        faults.append(
            "Transfer-Encoding and Content-Length both sent: a sender must not send Content-Length "
            "with Transfer-Encoding (RFC 9112 section 6.2), and a reader that trusts Content-Length "
            "reads a different body"
        )
    return faults


def _coding_faults(head: Head) -> list[str]:
    values = head.values("transfer-encoding")
    if not values:
        return []
    sent = _quote(", ".join(values))
    if head.version == "HTTP/1.0":
        return [
            f"Transfer-Encoding {sent} in an HTTP/1.0 response: a client must treat its framing as faulty "
            "(RFC 9112 section 6.1)"
        ]
    codings = [piece.split(";")[0].strip().lower() for value in values for piece in value.split(",")]
    codings = [c for c in codings if c]
    if codings.count("chunked") > 1:
        return [f"Transfer-Encoding {sent} applies chunked more than once (RFC 9112 section 6.1)"]
    if not codings or codings[-1] != "chunked":
        return [
            f"Transfer-Encoding {sent} does not end in chunked, so only the connection's close ends the body "
            "(RFC 9112 section 6.3)"
        ]
    others = [c for c in codings if c != "chunked"]
    if others:
        return [
            f"Transfer-Encoding {sent} applies {', '.join(others)}: the request sent no TE field, "
            "so chunked is the only transfer coding it accepts (RFC 9112 section 7.4)"
        ]
    return []


def body_fault(message: str, head: Head | None, received: int) -> str | None:
    """The framing fault an h11 error raised while reading a body names, or None when it names none.

    ``received`` counts the body bytes that arrived (after chunked decoding,
    before content decoding).
    """
    declared = head.content_length if head is not None else None
    if "received" in message and "expected" in message and declared is not None:
        return (
            f"Content-Length says {declared} but the connection closed after {received} bytes "
            "(RFC 9112 section 6.3: the message is incomplete)"
        )
    if "incomplete chunked read" in message:
        return (
            f"the chunked body ended without its last chunk: the connection closed after {received} bytes "
            "and no zero-size chunk (RFC 9112 section 7.1)"
        )
    if "illegal chunk header" in message:
        line = _quote(_quoted_bytes(message).rstrip("\r\n"))
        return f"a chunk size line, {line}, is not a hexadecimal size (RFC 9112 section 7.1)"
    if "malformed chunk footer" in message:
        got = _quote(_quoted_bytes(message))
        return (
            f"a chunk's data runs past the size its size line gives: {got} came "
            "where the CRLF that ends the chunk belongs (RFC 9112 section 7.1)"
        )
    if "illegal header line" in message or "Illegal header" in message:
        return f"the chunked body's trailer section is malformed: {message[:_SHOWN]} (RFC 9112 section 7.1.2)"
    return None


def extra_bytes_fault(head: Head, wire_total: int) -> str | None:
    """The fault when more bytes came after a Content-Length body than it announced, else None."""
    declared = head.content_length
    if declared is None:
        return None
    extra = wire_total - head.end - declared
    if extra <= 0:
        return None
    return (
        f"Content-Length says {declared} but {extra} more bytes followed those {declared}: "
        "the body is longer than its Content-Length, and a reader keeps only the first "
        f"{declared} (RFC 9112 section 6.3)"
    )


def _quoted_bytes(message: str) -> str:
    """The first bytes literal h11 quotes in ``message`` (``bytearray(b'zz\\r\\n')``), as text."""
    found = re.search(r"b'((?:[^'\\]|\\.)*)'", message)
    if found is None:
        return ""
    try:
        return bytes(ast.literal_eval(found[0])).decode("latin-1")
    except (ValueError, SyntaxError):
        return found[1]


def _quote(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")
