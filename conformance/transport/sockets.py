"""One TCP (or TLS) connection as asyncio gives it, with the reads and writes an HTTP/1.1 client needs.

`Socket` is an `asyncio.Protocol`: the event loop hands it bytes as they
arrive and it keeps them until the connection reads them, so nothing sits
between the loop and the HTTP parser but a buffer. Each wait is bounded, and
what goes wrong comes out as httpx's own exceptions (`httpx.ConnectTimeout`,
`httpx.ReadTimeout`, `httpx.ReadError`...), which is what the client above
already tells apart::

    socket = await connect("127.0.0.1", 8787, ssl_context=None, timeout=10.0)
    await socket.write(b"GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n", timeout=5.0)
    data = await socket.read(timeout=5.0)  # b"" once the peer has closed
"""

from __future__ import annotations

import asyncio
import ssl

import httpx

_HIGH_WATER = 256 * 1024  # unread bytes kept before the socket stops reading: a flood is not buffered
_READ_AT_MOST = 64 * 1024  # what one read hands the parser, as httpcore does


async def connect(
    host: str, port: int, *, ssl_context: ssl.SSLContext | None, timeout: float | None
) -> Socket:
    """A connected `Socket`, over TLS when ``ssl_context`` is given.

    Raises httpx.ConnectError or httpx.ConnectTimeout.
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, protocol = await loop.create_connection(
                lambda: Socket(loop),
                host,
                port,
                ssl=ssl_context,
                server_hostname=host if ssl_context is not None else None,
            )
    except TimeoutError:
        raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout:g} s") from None
    except (OSError, ssl.SSLError) as exc:
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
    return protocol


class Socket(asyncio.Protocol):
    """The bytes one connection received and not yet read, its end, and its write side."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._ended = False  # the peer closed its side, or the connection was lost
        self._lost: Exception | None = None  # why the connection was lost, when it was not a clean close
        self._reading_paused = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._writing_paused = False

    # What the event loop calls.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > _HIGH_WATER and not self._reading_paused and self._transport is not None:
            self._transport.pause_reading()
            self._reading_paused = True
        self._wake_reader()

    def eof_received(self) -> bool:
        self._ended = True
        self._wake_reader()
        return True  # keep the write side open: the request may still be going out

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = True
        self._lost = exc
        self._wake_reader()
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def _wake_reader(self) -> None:
        if self._data_waiter is not None and not self._data_waiter.done():
            self._data_waiter.set_result(None)

    # What the HTTP connection calls.

    @property
    def has_news(self) -> bool:
        """Bytes or an end arrived unasked: on an idle keep-alive connection, the peer closed it
        (or sent what belongs to no request), so it must not carry another request."""
        return bool(self._buffer) or self._ended

    async def read(self, *, timeout: float | None) -> bytes:
        """The next bytes received (at most 64 KiB), or b"" once the peer closed its side.

        Raises httpx.ReadTimeout when nothing comes within ``timeout`` seconds,
        httpx.ReadError when the connection was reset.
        """
        if not self._buffer and not self._ended:
            await self._wait_for_data(timeout)
        if self._buffer:
            data = bytes(self._buffer[:_READ_AT_MOST])
            del self._buffer[:_READ_AT_MOST]
            if self._reading_paused and len(self._buffer) <= _HIGH_WATER // 2 and self._transport is not None:
                self._transport.resume_reading()
                self._reading_paused = False
            return data
        if self._lost is not None:
            raise httpx.ReadError(str(self._lost) or type(self._lost).__name__)
        return b""

    async def _wait_for_data(self, timeout: float | None) -> None:
        waiter = self._data_waiter = self._loop.create_future()
        try:
            await _bounded(waiter, timeout, httpx.ReadTimeout, "no byte within the read timeout")
        finally:
            self._data_waiter = None

    async def write(self, data: bytes, *, timeout: float | None) -> None:
        """Send ``data``; raises httpx.WriteError on a closed connection, WriteTimeout when it stalls."""
        if self._transport is None or self._transport.is_closing() or self._lost is not None:
            raise httpx.WriteError("the connection is closed")
        self._transport.write(data)
        if not self._writing_paused:
            return
        waiter = self._drain_waiter = self._loop.create_future()
        try:
            stalled = "the request was not sent within the write timeout"
            await _bounded(waiter, timeout, httpx.WriteTimeout, stalled)
        finally:
            self._drain_waiter = None
        if self._lost is not None:
            raise httpx.WriteError(str(self._lost) or type(self._lost).__name__)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _bounded(
    waiter: asyncio.Future[None], timeout: float | None, timed_out: type[httpx.TimeoutException], said: str
) -> None:
    """Wait for ``waiter``; after ``timeout`` seconds, raise ``timed_out`` saying ``said`` and the limit."""
    if timeout is None:
        await waiter
        return
    message = f"{said} of {timeout:g} s"
    timer = asyncio.get_running_loop().call_later(timeout, _fail, waiter, timed_out, message)
    try:
        await waiter
    finally:
        timer.cancel()


def _fail(waiter: asyncio.Future[None], timed_out: type[httpx.TimeoutException], message: str) -> None:
    if not waiter.done():
        waiter.set_exception(timed_out(message))
