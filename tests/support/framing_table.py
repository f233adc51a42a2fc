"""The HTTP and SSE framing table: each row the exact bytes a server sends, and what the toolkit must say.

Legal rows are framings RFC 9112, RFC 9110 and the WHATWG SSE parsing rules
allow (a reader must accept them): every check passes on them. Lies break a
rule: the row's check fails, with a message holding ``says``, which names the
framing. `framing_server.py` sends a row's bytes, piece by piece, to every
request; `tests/end_to_end/test_framing_table.py` drives the real client and checks through each row,
and keeps the table in docs/runner.md ("HTTP and SSE framing") equal to this one.
"""

from __future__ import annotations

import gzip
import itertools
import zlib
from dataclasses import dataclass

HTTP = "http_framing_conformance"
SSE = "stream_framing_conformance"

CRLF = b"\r\n"
JSON = b'{"result":{"response":"Hello there"},"success":true,"errors":[],"messages":[]}'
N = len(JSON)  # 78
EVENTS = (b'{"response":"Hello"}', b'{"response":" th\xc3\xa9re \xe2\x82\xac\xf0\x9f\x98\x80"}')


@dataclass(frozen=True)
class Row:
    """One framing: what the server sends (``wire``, written piece by piece) and the verdict.

    ``says`` is None for a legal framing (every check passes); for a lie it is
    what the message of ``check``'s failure must hold. ``close``: the server
    closes the connection after the last piece (else it waits for the next request).
    """

    name: str
    group: str
    sends: str
    wire: tuple[bytes, ...]
    stream: bool = False
    check: str | None = None
    says: str | None = None
    close: bool = True

    @property
    def legal(self) -> bool:
        return self.says is None


def head(*fields: str, status: str = "HTTP/1.1 200 OK", json: bool = True) -> bytes:
    """A response head: the status line, a Content-Type for the body kind, then ``fields``."""
    content_type = "application/json" if json else "text/event-stream"
    lines = [status, f"Content-Type: {content_type}", *fields]
    return CRLF.join(line.encode("latin-1") for line in lines) + CRLF + CRLF


def chunked(body: bytes, *sizes: int, ext: str = "", trailer: bytes = b"") -> bytes:
    """``body`` as chunks of ``sizes`` (the rest in one last chunk), the last chunk, then ``trailer``."""
    out, start = bytearray(), 0
    for size in [*sizes, len(body)]:
        piece = body[start : start + size]
        start += len(piece)
        if piece:
            out += f"{len(piece):x}{ext}".encode() + CRLF + piece + CRLF
    return bytes(out) + b"0" + CRLF + trailer + CRLF


def sse(*lines: str, end: str = "\n") -> bytes:
    """SSE text: each of ``lines`` followed by ``end``."""
    return "".join(line + end for line in lines).encode("utf-8")


def events(end: str = "\n", *, prefix: str = "data: ") -> bytes:
    """The two events and data: [DONE], each followed by a blank line."""
    lines: list[str] = []
    for data in [*(e.decode("utf-8") for e in EVENTS), "[DONE]"]:
        lines += [prefix + data, ""]
    return sse(*lines, end=end)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _pieces(data: bytes, size: int) -> tuple[bytes, ...]:
    """``data`` in pieces of ``size`` bytes, each to be written on its own."""
    return tuple(data[i : i + size] for i in range(0, len(data), size))


def _cut_chunks(stream: bytes) -> tuple[bytes, ...]:
    """``stream`` as chunks cut inside ``data:``, between CR and LF and inside each multi-byte character."""
    cuts = {3, stream.index(b"\r") + 1}
    for lead in (b"\xc3", b"\xe2", b"\xf0"):
        cuts.add(stream.index(lead) + 1)
    cuts.add(stream.index(b"\xf0") + 3)
    bounds = [0, *sorted(cuts), len(stream)]
    pieces = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    return (*(f"{len(p):x}".encode() + CRLF + p + CRLF for p in pieces), b"0" + CRLF + CRLF)


STREAM = events()
CLOSE = "Connection: close"
TE = "Transfer-Encoding: chunked"


def _length(n: int | str = N) -> str:
    return f"Content-Length: {n}"


def _sse_close(body: bytes, *fields: str) -> tuple[bytes, ...]:
    """An SSE body delimited by the connection's close, as most streaming servers send it."""
    return (head(CLOSE, *fields, json=False) + body,)


LENGTH = "Message length (RFC 9112 section 6)"
CHUNKED = "Chunked transfer coding (RFC 9112 section 7)"
INTERIM = "Interim responses (RFC 9110 section 15.2)"
VERSION = "HTTP/1.0 and connection close (RFC 9112 section 9)"
CODINGS = "Content codings (RFC 9110 section 8.4)"
SSE_LINES = "SSE streams, bytes and line ends (WHATWG HTML, server-sent events)"
SSE_FIELDS = "SSE fields"
SSE_DISPATCH = "SSE dispatch: when an event is delivered and when it is lost"

ROWS: tuple[Row, ...] = (
    # -- message length ---------------------------------------------------------
    Row(
        "content_length",
        LENGTH,
        "Content-Length, connection kept open",
        (head(_length()) + JSON,),
        close=False,
    ),
    Row(
        "content_length_close",
        LENGTH,
        "Content-Length and `Connection: close`",
        (head(_length(), CLOSE) + JSON,),
    ),
    Row(
        "content_length_leading_zeros",
        LENGTH,
        f"`Content-Length: 000{N}`",
        (head(_length(f"000{N}")) + JSON,),
        close=False,
    ),
    Row(
        "close_delimited",
        LENGTH,
        "no length, `Connection: close`, body ends at the close",
        (head(CLOSE) + JSON,),
    ),
    Row(
        "close_delimited_unannounced",
        LENGTH,
        "no length and no `Connection` field; the server closes after the body",
        (head() + JSON,),
    ),
    Row(
        "content_length_longer",
        LENGTH,
        f"Content-Length {N + 40}, {N} bytes, then a close",
        (head(_length(N + 40)) + JSON,),
        check=HTTP,
        says=f"Content-Length says {N + 40} but the connection closed after {N} bytes",
    ),
    Row(
        "content_length_shorter",
        LENGTH,
        f"Content-Length 20, then all {N} bytes and a close",
        (head(_length(20), CLOSE) + JSON,),
        check=HTTP,
        says=f"Content-Length says 20 but {N - 20} more bytes followed those 20",
    ),
    Row(
        "content_length_shorter_kept_open",
        LENGTH,
        f"Content-Length 20, then all {N} bytes, connection kept open",
        (head(_length(20)) + JSON,),
        check=HTTP,
        says=f"Content-Length says 20 but {N - 20} more bytes followed those 20",
        close=False,
    ),
    Row(
        "content_length_not_a_number",
        LENGTH,
        "`Content-Length: seventy-eight`",
        (head(_length("seventy-eight")) + JSON,),
        check=HTTP,
        says="Content-Length 'seventy-eight' is not a number of bytes",
    ),
    Row(
        "content_length_negative",
        LENGTH,
        "`Content-Length: -1`",
        (head(_length(-1)) + JSON,),
        check=HTTP,
        says="Content-Length '-1' is not a number of bytes",
    ),
    Row(
        "content_length_conflicting",
        LENGTH,
        f"two Content-Length fields, {N} and {N + 1}",
        (head(_length(), _length(N + 1)) + JSON,),
        check=HTTP,
        says=f"Content-Length {N} and {N + 1} disagree",
    ),
    Row(
        "content_length_repeated",
        LENGTH,
        f"two Content-Length fields, both {N}",
        (head(_length(), _length()) + JSON,),
        check=HTTP,
        says=f"Content-Length sent as '{N}' and '{N}'",
    ),
    Row(
        "content_length_list",
        LENGTH,
        f"`Content-Length: {N}, {N}`",
        (head(_length(f"{N}, {N}")) + JSON,),
        check=HTTP,
        says=f"Content-Length sent as '{N}, {N}'",
    ),
    Row(
        "content_length_and_chunked",
        LENGTH,
        "Content-Length beside `Transfer-Encoding: chunked`",
        (head(_length(), TE) + chunked(JSON, 30),),
        check=HTTP,
        says="Transfer-Encoding and Content-Length both sent",
    ),
    # -- chunked ------------------------------------------------------------------
    Row(
        "chunked",
        CHUNKED,
        "three chunks, connection kept open",
        (head(TE) + chunked(JSON, 30, 30),),
        close=False,
    ),
    Row(
        "chunked_extensions",
        CHUNKED,
        'chunk extensions (`1e;name=value;q="a;b"`)',
        (head(TE) + chunked(JSON, 30, 30, ext=';name=value;q="a;b"'),),
    ),
    Row(
        "chunked_trailers",
        CHUNKED,
        "a trailer section after the last chunk",
        (head(TE, "Trailer: x-checksum") + chunked(JSON, 40, trailer=b"x-checksum: 1f2e" + CRLF),),
    ),
    Row(
        "chunked_hex_case_and_zeros",
        CHUNKED,
        "chunk sizes `001E` and `0030` (upper-case hex, leading zeros)",
        (
            head(TE)
            + b"001E"
            + CRLF
            + JSON[:30]
            + CRLF
            + b"0030"
            + CRLF
            + JSON[30:]
            + CRLF
            + b"0"
            + CRLF
            + CRLF,
        ),
    ),
    Row(
        "chunked_byte_by_byte",
        CHUNKED,
        "one-byte chunks, each written on its own",
        (head(TE), *(b"1" + CRLF + JSON[i : i + 1] + CRLF for i in range(N)), b"0" + CRLF + CRLF),
    ),
    Row(
        "chunked_name_case",
        CHUNKED,
        "`Transfer-Encoding: Chunked`",
        (head("Transfer-Encoding: Chunked") + chunked(JSON, 30),),
    ),
    Row(
        "chunked_no_last_chunk",
        CHUNKED,
        "chunks, then a close without the zero-size last chunk",
        (head(TE) + chunked(JSON, 30)[: -len(b"0" + CRLF + CRLF)],),
        check=HTTP,
        says="the chunked body ended without its last chunk",
    ),
    Row(
        "chunked_bad_size",
        CHUNKED,
        "a chunk size line `zz`",
        (head(TE) + b"zz" + CRLF + JSON + CRLF + b"0" + CRLF + CRLF,),
        check=HTTP,
        says="a chunk size line, 'zz', is not a hexadecimal size",
    ),
    Row(
        "chunked_size_too_small",
        CHUNKED,
        "a chunk whose size line says 10 for 30 bytes",
        (head(TE) + b"a" + CRLF + JSON[:30] + CRLF + chunked(JSON[30:]),),
        check=HTTP,
        says="a chunk's data runs past the size its size line gives",
    ),
    Row(
        "chunked_twice",
        CHUNKED,
        "`Transfer-Encoding: chunked, chunked`",
        (head("Transfer-Encoding: chunked, chunked") + chunked(chunked(JSON)),),
        check=HTTP,
        says="Transfer-Encoding 'chunked, chunked' applies chunked more than once",
    ),
    Row(
        "transfer_coding_gzip",
        CHUNKED,
        "`Transfer-Encoding: gzip, chunked` to a request with no TE field",
        (head("Transfer-Encoding: gzip, chunked") + chunked(_gzip(JSON)),),
        check=HTTP,
        says="Transfer-Encoding 'gzip, chunked' applies gzip: the request sent no TE field",
    ),
    Row(
        "transfer_coding_identity",
        CHUNKED,
        "`Transfer-Encoding: identity` (removed from HTTP/1.1)",
        (head("Transfer-Encoding: identity") + JSON,),
        check=HTTP,
        says="Transfer-Encoding 'identity' does not end in chunked",
    ),
    # -- interim responses --------------------------------------------------------
    Row(
        "continue_100",
        INTERIM,
        "`100 Continue`, then the response",
        (b"HTTP/1.1 100 Continue" + CRLF + CRLF + head(_length()) + JSON,),
    ),
    Row(
        "early_hints_103",
        INTERIM,
        "`103 Early Hints` with a Link field, then the response",
        (
            b"HTTP/1.1 103 Early Hints"
            + CRLF
            + b"Link: </a.css>; rel=preload"
            + CRLF
            + CRLF
            + head(_length())
            + JSON,
        ),
    ),
    Row(
        "interim_several",
        INTERIM,
        "`100`, then two `103`, each written on its own, then the response",
        (
            b"HTTP/1.1 100 Continue" + CRLF + CRLF,
            b"HTTP/1.1 103 Early Hints" + CRLF + b"Link: </a.css>; rel=preload" + CRLF + CRLF,
            b"HTTP/1.1 103 Early Hints" + CRLF + b"Link: </b.js>; rel=preload" + CRLF + CRLF,
            head(TE) + chunked(JSON, 10),
        ),
    ),
    Row(
        "switching_protocols_unasked",
        INTERIM,
        "`101 Switching Protocols` to a request that asked for no upgrade",
        (
            b"HTTP/1.1 101 Switching Protocols"
            + CRLF
            + b"Upgrade: websocket"
            + CRLF
            + b"Connection: Upgrade"
            + CRLF
            + CRLF,
        ),
        check=HTTP,
        says="101 Switching Protocols answers a request that asked for no upgrade",
    ),
    # -- HTTP/1.0 -------------------------------------------------------------------
    Row(
        "http10_content_length",
        VERSION,
        "`HTTP/1.0` with Content-Length",
        (head(_length(), status="HTTP/1.0 200 OK") + JSON,),
    ),
    Row(
        "http10_close_delimited",
        VERSION,
        "`HTTP/1.0`, no length, body ends at the close",
        (head(status="HTTP/1.0 200 OK") + JSON,),
    ),
    Row(
        "http10_keep_alive",
        VERSION,
        "`HTTP/1.0` with Content-Length and `Connection: keep-alive`, kept open",
        (head(_length(), "Connection: keep-alive", status="HTTP/1.0 200 OK") + JSON,),
        close=False,
    ),
    Row(
        "http10_chunked",
        VERSION,
        "`HTTP/1.0` with `Transfer-Encoding: chunked`",
        (head(TE, status="HTTP/1.0 200 OK") + chunked(JSON, 30),),
        check=HTTP,
        says="Transfer-Encoding 'chunked' in an HTTP/1.0 response",
    ),
    # -- content codings ----------------------------------------------------------------
    Row(
        "gzip",
        CODINGS,
        "`Content-Encoding: gzip`",
        (head(_length(len(_gzip(JSON))), "Content-Encoding: gzip") + _gzip(JSON),),
    ),
    Row(
        "gzip_chunked",
        CODINGS,
        "gzip in chunks of 7 bytes, each written on its own",
        (head(TE, "Content-Encoding: gzip"), *_pieces(chunked(_gzip(JSON), *([7] * 20)), 12)),
    ),
    Row(
        "x_gzip",
        CODINGS,
        "`Content-Encoding: x-gzip`",
        (head(CLOSE, "Content-Encoding: x-gzip") + _gzip(JSON),),
    ),
    Row(
        "gzip_upper_case",
        CODINGS,
        "`Content-Encoding: GZIP`",
        (head(CLOSE, "Content-Encoding: GZIP") + _gzip(JSON),),
    ),
    Row(
        "deflate_zlib",
        CODINGS,
        "`Content-Encoding: deflate`, zlib-wrapped",
        (head(CLOSE, "Content-Encoding: deflate") + zlib.compress(JSON),),
    ),
    Row(
        "deflate_raw",
        CODINGS,
        "`Content-Encoding: deflate`, raw deflate (as some servers send it)",
        (head(CLOSE, "Content-Encoding: deflate") + _raw_deflate(JSON),),
    ),
    Row(
        "identity",
        CODINGS,
        "`Content-Encoding: identity`",
        (head(_length(), "Content-Encoding: identity") + JSON,),
    ),
    Row(
        "stacked_codings",
        CODINGS,
        "`Content-Encoding: deflate, gzip` (deflated, then gzipped)",
        (head(CLOSE, "Content-Encoding: deflate, gzip") + _gzip(zlib.compress(JSON)),),
    ),
    Row(
        "gzip_two_members",
        CODINGS,
        "gzip as two members back to back",
        (head(CLOSE, "Content-Encoding: gzip") + _gzip(JSON[:30]) + _gzip(JSON[30:]),),
    ),
    Row(
        "unknown_coding",
        CODINGS,
        "`Content-Encoding: br`, which the request did not accept",
        (head(CLOSE, "Content-Encoding: br") + JSON,),
        check=HTTP,
        says="content-encoding 'br' is not one the client accepts (gzip, deflate)",
    ),
    Row(
        "gzip_not_gzip",
        CODINGS,
        "`Content-Encoding: gzip` on a body that is not gzip",
        (head(CLOSE, "Content-Encoding: gzip") + JSON,),
        check=HTTP,
        says="the gzip body does not decode",
    ),
    Row(
        "gzip_truncated",
        CODINGS,
        "`Content-Encoding: gzip`, the gzip stream cut in half",
        (head(CLOSE, "Content-Encoding: gzip") + _gzip(JSON)[:40],),
        check=HTTP,
        says="the gzip body ends before its compressed stream does",
    ),
    # -- SSE: bytes and line ends -----------------------------------------------------------
    Row("sse_lf", SSE_LINES, "LF line ends, body ends at the close", _sse_close(events("\n")), stream=True),
    Row("sse_crlf", SSE_LINES, "CRLF line ends", _sse_close(events("\r\n")), stream=True),
    Row("sse_cr", SSE_LINES, "CR line ends", _sse_close(events("\r")), stream=True),
    Row(
        "sse_mixed_line_ends",
        SSE_LINES,
        "LF, CRLF and CR line ends in one stream",
        _sse_close(
            sse('data: {"response":"Hello"}', "", end="\r\n")
            + sse('data: {"response":" there"}', "", end="\r")
            + sse("data: [DONE]", "")
        ),
        stream=True,
    ),
    Row(
        "sse_bom",
        SSE_LINES,
        "a UTF-8 byte order mark first",
        _sse_close(b"\xef\xbb\xbf" + STREAM),
        stream=True,
    ),
    Row(
        "sse_split_everywhere",
        SSE_LINES,
        "chunked, cut inside `data:`, between CR and LF, inside UTF-8 characters, each chunk written alone",
        (head(TE, json=False), *_cut_chunks(events("\r\n"))),
        stream=True,
    ),
    Row(
        "sse_gzip",
        SSE_LINES,
        "gzip, chunked",
        (head(TE, "Content-Encoding: gzip", json=False), *_pieces(chunked(_gzip(STREAM), *([16] * 8)), 20)),
        stream=True,
    ),
    Row(
        "sse_content_length",
        SSE_LINES,
        "Content-Length, connection kept open",
        (head(_length(len(STREAM)), json=False) + STREAM,),
        stream=True,
        close=False,
    ),
    Row(
        "sse_charset",
        SSE_LINES,
        "`Content-Type: text/event-stream; charset=utf-8`",
        (
            head(CLOSE, json=False).replace(b"text/event-stream", b"text/event-stream; charset=utf-8")
            + STREAM,
        ),
        stream=True,
    ),
    # -- SSE: fields ----------------------------------------------------------------------------
    Row(
        "sse_data_no_space",
        SSE_FIELDS,
        "`data:{...}`, no space after the colon",
        _sse_close(events(prefix="data:")),
        stream=True,
    ),
    Row(
        "sse_data_two_spaces",
        SSE_FIELDS,
        "`data:  {...}`: the JSON value keeps one leading space",
        _sse_close(sse('data:  {"response":"Hello"}', "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_multi_line_data",
        SSE_FIELDS,
        "one JSON event over two `data:` lines (joined with LF)",
        _sse_close(sse('data: {"response":', 'data: "Hello"}', "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_comments",
        SSE_FIELDS,
        "comment lines (`: keep-alive`, a bare `:`) before and between events",
        _sse_close(
            sse(": keep-alive", "", 'data: {"response":"Hello"}', ":", "", ": ping", "data: [DONE]", "")
        ),
        stream=True,
    ),
    Row(
        "sse_event_id_retry",
        SSE_FIELDS,
        "`event: message`, `id:` and `retry:` with each event",
        _sse_close(
            sse(
                "event: message",
                "id: 1",
                "retry: 3000",
                'data: {"response":"Hello"}',
                "",
                "id: 2",
                "data: [DONE]",
                "",
            )
        ),
        stream=True,
    ),
    Row(
        "sse_unknown_fields",
        SSE_FIELDS,
        "unknown fields (`model: llama`, `x-meta: 1`), ignored",
        _sse_close(sse("model: llama", 'data: {"response":"Hello"}', "x-meta: 1", "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_fields_without_colon",
        SSE_FIELDS,
        "lines `data`, `id` and `retry` with no colon (a bare `data` adds an empty line)",
        _sse_close(sse("data", 'data: {"response":"Hello"}', "id", "retry", "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_id_with_null",
        SSE_FIELDS,
        "an `id` holding U+0000 (ignored)",
        _sse_close(sse("id: a\x00b", 'data: {"response":"Hello"}', "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_field_name_case",
        SSE_FIELDS,
        "`Data:` for every line",
        _sse_close(events(prefix="Data: ")),
        stream=True,
        check=SSE,
        says="""lines an SSE reader ignores, 'Data: {"response":"Hello"}'""",
    ),
    Row(
        "sse_space_before_colon",
        SSE_FIELDS,
        "`data : {...}` for every line",
        _sse_close(events(prefix="data : ")),
        stream=True,
        check=SSE,
        says="""lines an SSE reader ignores, 'data : {"response":"Hello"}'""",
    ),
    Row(
        "sse_two_byte_order_marks",
        SSE_FIELDS,
        "two byte order marks first: the second starts the first field's name",
        _sse_close(b"\xef\xbb\xbf\xef\xbb\xbf" + STREAM),
        stream=True,
        check=SSE,
        says="""lines an SSE reader ignores, '\\ufeffdata: {"response":"Hello"}'""",
    ),
    # -- SSE: dispatch ------------------------------------------------------------------------------
    Row(
        "sse_blank_lines_between",
        SSE_DISPATCH,
        "several blank lines between events",
        _sse_close(sse('data: {"response":"Hello"}', "", "", "", "data: [DONE]", "", "")),
        stream=True,
    ),
    Row(
        "sse_event_without_data",
        SSE_DISPATCH,
        "an event with `event:` and no `data:` (dispatches nothing)",
        _sse_close(sse("event: ping", "", 'data: {"response":"Hello"}', "", "data: [DONE]", "")),
        stream=True,
    ),
    Row(
        "sse_last_event_lost",
        SSE_DISPATCH,
        "`data: [DONE]` and a line end, then the close: no blank line",
        _sse_close(sse('data: {"response":"Hello"}', "", "data: [DONE]")),
        stream=True,
        check=SSE,
        says="its last event, data '[DONE]', has no blank line after it, so an SSE reader discards it",
    ),
    Row(
        "sse_last_line_unterminated",
        SSE_DISPATCH,
        "`data: [DONE]` with no line end, then the close",
        _sse_close(sse('data: {"response":"Hello"}', "") + b"data: [DONE]"),
        stream=True,
        check=SSE,
        says="its last line, 'data: [DONE]', has no line ending, so an SSE reader discards it",
    ),
    Row(
        "sse_no_blank_line_between",
        SSE_DISPATCH,
        "events on consecutive `data:` lines, one blank line at the end",
        _sse_close(sse('data: {"response":"Hello"}', 'data: {"response":" there"}', "data: [DONE]", "")),
        stream=True,
        check=SSE,
        says="3 events merged into one",
    ),
    Row(
        "sse_chunked_no_last_chunk",
        SSE_DISPATCH,
        "chunked: every event and `[DONE]`, then a close without the last chunk",
        (head(TE, json=False) + chunked(STREAM, 20)[: -len(b"0" + CRLF + CRLF)],),
        stream=True,
        check=HTTP,
        says="the chunked body ended without its last chunk",
    ),
    Row(
        "sse_content_length_longer",
        SSE_DISPATCH,
        "Content-Length 40 bytes longer than the stream, then a close",
        (head(_length(len(STREAM) + 40), json=False) + STREAM,),
        stream=True,
        check=HTTP,
        says=f"Content-Length says {len(STREAM) + 40} but the connection closed after {len(STREAM)} bytes",
    ),
    Row(
        "sse_content_length_conflicting",
        SSE_DISPATCH,
        "two Content-Length fields that disagree",
        (head(_length(len(STREAM)), _length(len(STREAM) + 1), json=False) + STREAM,),
        stream=True,
        check=HTTP,
        says=f"Content-Length {len(STREAM)} and {len(STREAM) + 1} disagree",
    ),
)
