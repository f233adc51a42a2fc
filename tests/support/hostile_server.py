"""A hostile server on loopback: every request gets the same malicious or broken response.

It speaks raw bytes over asyncio sockets, not through an HTTP library, so it
can send what no well-behaved framework would (10 000 headers, bytes that are
not HTTP, a body shorter than its Content-Length). One behaviour per server,
or ``mixed``: a good first answer (the run's probe), then every behaviour in
turn, request after request::

    with hostile_server("deep_json") as base_url:
        ...  # conformance run --base-url base_url

Also runnable on its own, for the benchmark or by hand; it prints the base URL::

    python tests/support/hostile_server.py gzip_bomb [--port 8799]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import itertools
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from functools import cache

Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]

DEPTH = 200_000
DIGITS = 100_000
SLOW_GAP_S = 0.2
BOMB_BYTES = 1024 * 1024 * 1024  # what the gzip bomb decodes to: 1 GiB of zeros in about 1 MiB
ENVELOPE_HEAD = b'{"success":true,"errors":[],"messages":[],"result":'
MIXED = "mixed"  # every behaviour in turn, request after request


def _head(status: str = "200 OK", content_type: str = "application/json", **extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"content-type: {content_type}", "connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def _whole(writer: asyncio.StreamWriter, body: bytes, content_type: str = "application/json") -> None:
    writer.write(_head(content_type=content_type, content_length=str(len(body))) + body)
    await writer.drain()


async def _forever(writer: asyncio.StreamWriter, piece: bytes, gap_s: float = 0.0) -> None:
    """Write ``piece`` until the client hangs up."""
    while True:
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(gap_s)


def _sse_head() -> bytes:
    return _head(content_type="text/event-stream")


async def deep_json(writer: asyncio.StreamWriter) -> None:
    """A success envelope whose ``result`` is arrays nested 200 000 deep."""
    await _whole(writer, ENVELOPE_HEAD + b"[" * DEPTH + b"]" * DEPTH + b"}")


async def deep_json_stream(writer: asyncio.StreamWriter) -> None:
    """An SSE stream whose first event is arrays nested 200 000 deep."""
    writer.write(_sse_head() + b"data: " + b"[" * DEPTH + b"]" * DEPTH + b"\n\ndata: [DONE]\n\n")
    await writer.drain()


async def huge_number(writer: asyncio.StreamWriter) -> None:
    """Usage counts with 100 000 digits, and a float far past the double range."""
    digits = b"9" * DIGITS
    usage = b'{"prompt_tokens":' + digits + b',"completion_tokens":1e999999,"total_tokens":' + digits + b"}"
    await _whole(writer, ENVELOPE_HEAD + b'{"response":"hi","usage":' + usage + b"}}")


async def non_finite(writer: asyncio.StreamWriter) -> None:
    """NaN and Infinity, which Python's json accepts and JSON does not."""
    usage = b'{"prompt_tokens":NaN,"completion_tokens":Infinity,"total_tokens":-Infinity}'
    body = b'{"response":"hi","usage":' + usage + b"}"
    await _whole(writer, ENVELOPE_HEAD + body + b"}")


async def invalid_utf8(writer: asyncio.StreamWriter) -> None:
    """A JSON body with bytes that are not UTF-8 inside a string."""
    await _whole(writer, ENVELOPE_HEAD + b'{"response":"caf\xe9 \xff\xfe \xc3"}}')


async def invalid_utf8_stream(writer: asyncio.StreamWriter) -> None:
    """SSE events with bytes that are not UTF-8."""
    writer.write(_sse_head() + b'data: {"response":"\xff\xfe"}\n\ndata: \xc3\x28\n\ndata: [DONE]\n\n')
    await writer.drain()


async def control_characters(writer: asyncio.StreamWriter) -> None:
    """Valid JSON whose text is a lone surrogate, NUL, ESC sequences and other C0 controls."""
    text = rb'"\ud800 \u0000 \u001b[2J\u001b[31mred\u0007 \u000b\u000c \udfff"'
    error = b'{"code":1000,"message":' + text + b"}"
    body = b'{"success":false,"errors":[' + error + b'],"messages":[],"result":{"response":' + text + b"}}"
    await _whole(writer, body)


async def endless_stream(writer: asyncio.StreamWriter) -> None:
    """Valid SSE events as fast as the client reads, never ending."""
    writer.write(_sse_head())
    await _forever(writer, b'data: {"response":"a"}\n\n' * 64)


async def endless_slow_stream(writer: asyncio.StreamWriter) -> None:
    """One valid SSE event every 0.2 s, never ending: no read ever times out."""
    writer.write(_sse_head())
    await _forever(writer, b'data: {"response":"a"}\n\n', SLOW_GAP_S)


async def slow_body(writer: asyncio.StreamWriter) -> None:
    """A JSON body that never ends, one byte every 0.2 s."""
    writer.write(_head(transfer_encoding="chunked") + b"1\r\n[\r\n")
    await _forever(writer, b"1\r\n \r\n", SLOW_GAP_S)


@cache
def _bomb() -> bytes:
    # 1024 gzip members of 1 MiB of zeros each, back to back (RFC 1952 allows it): building
    # one member and repeating it costs milliseconds where compressing 1 GiB takes seconds.
    zeros = 1024 * 1024
    return gzip.compress(bytes(zeros), 9) * (BOMB_BYTES // zeros)


async def gzip_bomb(writer: asyncio.StreamWriter) -> None:
    """About 1 MiB of gzip that decodes to 1 GiB of zeros."""
    bomb = _bomb()
    writer.write(_head(content_encoding="gzip", content_length=str(len(bomb))) + bomb)
    await writer.drain()


async def many_headers(writer: asyncio.StreamWriter) -> None:
    """A 200 with 10 000 headers."""
    headers = "".join(f"x-hostile-{n}: {n}\r\n" for n in range(10_000)).encode("ascii")
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + headers + b"\r\n{}")
    await writer.drain()


async def not_http(writer: asyncio.StreamWriter) -> None:
    """Bytes that are not HTTP at all (a TLS record, then noise), then a hang-up."""
    writer.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n")
    await writer.drain()


async def endless_head(writer: asyncio.StreamWriter) -> None:
    """A status line, then one header line that never ends."""
    writer.write(b"HTTP/1.1 200 OK\r\nx-hostile: ")
    await _forever(writer, b"a" * 4096)


async def closed_mid_body(writer: asyncio.StreamWriter) -> None:
    """Content-Length 100 000, then 20 bytes and a hang-up."""
    writer.write(_head(content_length="100000") + ENVELOPE_HEAD[:20])
    await writer.drain()


async def wrong_content_length(writer: asyncio.StreamWriter) -> None:
    """A whole envelope announced as 10 bytes long."""
    writer.write(_head(content_length="10") + ENVELOPE_HEAD + b'{"response":"hi"}}')
    await writer.drain()


async def huge_sse_line(writer: asyncio.StreamWriter) -> None:
    """One SSE data line that never ends."""
    writer.write(_sse_head() + b'data: {"response":"')
    await _forever(writer, b"a" * 65536)


BEHAVIOURS: dict[str, Behaviour] = {
    f.__name__: f
    for f in (
        deep_json,
        deep_json_stream,
        huge_number,
        non_finite,
        invalid_utf8,
        invalid_utf8_stream,
        control_characters,
        endless_stream,
        endless_slow_stream,
        slow_body,
        gzip_bomb,
        many_headers,
        not_http,
        endless_head,
        closed_mid_body,
        wrong_content_length,
        huge_sse_line,
    )
}


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)


async def conformant(writer: asyncio.StreamWriter) -> None:
    """A valid success envelope: what ``mixed`` answers the run's first request (its probe) with."""
    await _whole(writer, ENVELOPE_HEAD + b'{"response":"hi"}}')


def _chooser(name: str, served: list[str]) -> Callable[[], Behaviour]:
    """One behaviour for every request, or for ``mixed`` each behaviour in turn after a first good answer.

    Each answer's behaviour is appended to ``served``, so a test can tell what was sent.
    """
    turns = itertools.count()
    order = list(BEHAVIOURS.values())

    def next_behaviour() -> Behaviour:
        turn = next(turns)
        if name != MIXED:
            chosen = BEHAVIOURS[name]
        else:
            chosen = conformant if turn == 0 else order[(turn - 1) % len(order)]
        served.append(chosen.__name__)
        return chosen

    return next_behaviour


def _handler(
    choose: Callable[[], Behaviour],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_request(reader)
            await choose()(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client hung up: the usual end of the endless behaviours
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return handle


async def _serve(
    behaviour: str, port: int, ready: Callable[[int], None], stop: asyncio.Event, served: list[str]
) -> None:
    server = await asyncio.start_server(_handler(_chooser(behaviour, served)), "127.0.0.1", port)
    ready(server.sockets[0].getsockname()[1])
    await stop.wait()
    # Not wait_closed(): it waits for open connections, and an endless stream's never ends by itself.
    server.close()
    handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for handler in handlers:
        handler.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)


@contextlib.contextmanager
def hostile_server(behaviour: str, served: list[str] | None = None) -> Iterator[str]:
    """Serve ``behaviour`` on a free loopback port in a thread; yields the base URL.

    ``served``, when given, receives the name of the behaviour each request got, in order.
    """
    served = [] if served is None else served
    if behaviour in ("gzip_bomb", MIXED):
        _bomb()  # built before the server answers, so the first request does not wait on it
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()
    port: list[int] = []

    def ready(number: int) -> None:
        port.append(number)
        started.set()

    def main() -> None:
        loop.run_until_complete(_serve(behaviour, 0, ready, stop, served))
        loop.close()

    thread = threading.Thread(target=main, name=f"hostile-{behaviour}", daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError(f"the hostile server ({behaviour}) did not start")
    try:
        yield f"http://127.0.0.1:{port[0]}/client/v4"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("behaviour", choices=[*sorted(BEHAVIOURS), MIXED])
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def ready(number: int) -> None:
        print(f"http://127.0.0.1:{number}/client/v4", flush=True)

    if args.behaviour in ("gzip_bomb", MIXED):
        _bomb()
    try:
        loop.run_until_complete(_serve(args.behaviour, args.port, ready, stop, []))
    except KeyboardInterrupt:
        sys.exit(0)
    finally:
        loop.close()


if __name__ == "__main__":
    _main()
