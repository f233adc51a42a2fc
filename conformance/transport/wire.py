"""The raw bytes of each response as they came off the socket, so framing faults can be named.

httpx parses responses with h11, which keeps neither the head it refused nor
the bytes it did not need. The client's transport (`http11`) hands every
byte it reads for a response to the `WireLog` of the request being served (a
context variable: each request runs in its own task, and an HTTP/1.1
connection serves one request at a time)::

    with recording() as log:
        response = await http.send(request, stream=True)
    log.head  # b"HTTP/1.1 200 OK\\r\\n..."
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

_KEPT = 64 * 1024  # enough for any head a framing fault is named from; h11 refuses one over 100 KiB


class Spoilable(Protocol):
    """A connection that can be kept from serving another request."""

    spoiled: bool


class WireLog:
    """What one request's response looked like on the socket: its first bytes and how many in all."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.total = 0
        self._connection: Spoilable | None = None

    def took(self, data: bytes, connection: Spoilable) -> None:
        """``connection`` read ``data`` for this log's response."""
        self._connection = connection
        self.total += len(data)
        if len(self.head) < _KEPT:
            self.head.extend(data[: _KEPT - len(self.head)])

    def spoil(self) -> None:
        """Keep the connection from serving another request: the bytes it holds belong to no response."""
        if self._connection is not None:
            self._connection.spoiled = True


_CURRENT: ContextVar[WireLog | None] = ContextVar("conformance_wire_log", default=None)


def current_log() -> WireLog | None:
    """The log of the request this task is serving, if it records one."""
    return _CURRENT.get()


@contextlib.contextmanager
def recording() -> Iterator[WireLog]:
    """Record the bytes read for the response of the request sent inside this block."""
    log = WireLog()
    token = _CURRENT.set(log)
    try:
        yield log
    finally:
        _CURRENT.reset(token)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of every https client: certifi's CA bundle, no environment overrides.

    Made once per process and only for an https target: loading the CA bundle costs about 35 ms.
    """
    import httpx

    return httpx.create_ssl_context(trust_env=False)
