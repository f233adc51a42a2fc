"""The raw bytes of each response as they came off the socket, so framing faults can be named.

httpx parses responses with h11, which keeps neither the head it refused nor
the bytes it did not need. The client's transport reads through a network
stream that copies the first bytes of each response into the `WireLog` of
the request being served (a context variable: each request runs in its own
task, and an HTTP/1.1 connection serves one request at a time)::

    with recording() as log:
        response = await http.send(request, stream=True)
    log.head  # b"HTTP/1.1 200 OK\\r\\n..."
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_KEPT = 64 * 1024  # a head longer than this is refused by h11 anyway (16 KiB)


class WireLog:
    """What one request's response looked like on the socket: its first bytes and how many in all."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.total = 0
        self._stream: _RecordingStream | None = None

    def _took(self, data: bytes, stream: _RecordingStream) -> None:
        self._stream = stream
        self.total += len(data)
        if len(self.head) < _KEPT:
            self.head.extend(data[: _KEPT - len(self.head)])

    def spoil(self) -> None:
        """Keep the connection from serving another request: the bytes it holds belong to no response."""
        if self._stream is not None:
            self._stream.spoiled = True


_CURRENT: ContextVar[WireLog | None] = ContextVar("conformance_wire_log", default=None)


@contextlib.contextmanager
def recording() -> Iterator[WireLog]:
    """Record the bytes read for the response of the request sent inside this block."""
    log = WireLog()
    token = _CURRENT.set(log)
    try:
        yield log
    finally:
        _CURRENT.reset(token)


class _RecordingStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self.spoiled = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        log = _CURRENT.get()
        if log is not None:
            log._took(data, self)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _RecordingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        # httpcore drops an idle connection whose socket is readable: a spoiled
        # one holds bytes after its response that would be read as the next response.
        if info == "is_readable" and self.spoiled:
            return True
        return self._inner.get_extra_info(info)


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _RecordingStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _RecordingStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class RecordingTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport, reading through streams that feed the current `WireLog`.

    ``secure`` says the target is https: only then is a TLS context built
    (loading the CA bundle costs about 35 ms), and one is shared by every
    client of the process.
    """

    def __init__(self, limits: httpx.Limits, *, secure: bool = True) -> None:
        # httpx takes no network backend, so its pool is built here the way httpx
        # builds it (same limits, HTTP/1.1 only) with the recording backend; the
        # pool is all of AsyncHTTPTransport's state, so its __init__ is not called.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context() if secure else None,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_RecordingBackend(),
        )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of every https client: certifi's CA bundle, no environment overrides."""
    return httpx.create_ssl_context(trust_env=False)
