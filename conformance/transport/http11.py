"""httpx's transport for the run: HTTP/1.1 parsed by h11 straight off asyncio sockets, with a keep-alive pool.

httpx's own transport stacks httpcore on anyio on asyncio, and against a
target that answers in a millisecond those layers cost more per request than
the target does (docs/runner.md, "Speed"). This one keeps what the verdicts
rest on: httpx's client, requests and responses, and h11, whose parser
refuses or accepts each framing as before (its messages are what
`framing.body_fault` reads). It drops the two layers between them, and it
keeps what the framing checks need: each response's raw bytes go to the
current `WireLog` (`wire.recording`), and a connection whose bytes belong to
no request is never reused.

It speaks HTTP/1.1 only, which is all the contract's endpoint speaks::

    transport = Http11Transport(httpx.Limits(max_connections=4), ssl_context=None)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post(url, content=b"{}")
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

from conformance.transport.sockets import Socket, connect
from conformance.transport.wire import current_log

Origin = tuple[str, str, int]  # scheme, host, port

_MAX_HEAD_BYTES = 100 * 1024  # as httpcore sets h11's limit: a longer head is refused as not HTTP
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Http11Transport(httpx.AsyncBaseTransport):
    """At most ``limits.max_connections`` connections, idle ones kept for ``limits.keepalive_expiry`` seconds.

    ``ssl_context`` is used for https targets; an https request without one is refused.
    """

    def __init__(self, limits: httpx.Limits, *, ssl_context: ssl.SSLContext | None) -> None:
        self._pool = _Pool(limits, ssl_context)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        connection = await self._pool.acquire(_origin(request.url), timeouts)
        try:
            return await connection.send(request, timeouts)
        except BaseException:
            self._pool.discard(connection)
            raise

    async def aclose(self) -> None:
        self._pool.close()
        # A closed transport lets go of its socket in a callback: run it before the loop may end.
        await asyncio.sleep(0)


def _origin(url: httpx.URL) -> Origin:
    if url.scheme not in _DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"{url.scheme!r} is not http or https")
    # The host as DNS and TLS take it: IDNA-encoded, an IPv6 address without its brackets.
    return url.scheme, url.raw_host.decode("ascii"), url.port or _DEFAULT_PORTS[url.scheme]


class _Connection:
    """One HTTP/1.1 connection: h11's state over a `Socket`, serving one request at a time."""

    def __init__(self, origin: Origin, socket: Socket, pool: _Pool) -> None:
        self.origin = origin
        self.socket = socket
        self.spoiled = False  # set through `WireLog.spoil`: the bytes it holds belong to no response
        self.idle_since = 0.0
        self._pool = pool
        self._h11 = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=_MAX_HEAD_BYTES)

    async def send(self, request: httpx.Request, timeouts: dict[str, Any]) -> httpx.Response:
        """Send ``request`` and read the response head; the body is read through the response's stream."""
        write_timeout = timeouts.get("write")
        try:
            head = h11.Request(
                method=request.method, target=request.url.raw_path, headers=request.headers.raw
            )
            data = self._h11.send(head) or b""
            async for chunk in request.stream:  # type: ignore[union-attr]  # httpx's requests are async here
                data += self._h11.send(h11.Data(data=chunk)) or b""
            data += self._h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        try:
            await self.socket.write(data, timeout=write_timeout)
        except httpx.WriteError:
            # A server may answer (a 413, say) and close before it read the
            # whole request: read what it said, as httpcore does.
            pass
        read_timeout = timeouts.get("read")
        while True:
            event = await self._next_event(read_timeout)
            if isinstance(event, h11.Response):
                break
            if isinstance(event, h11.InformationalResponse) and event.status_code == 101:
                break
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, self._pool, read_timeout),
            extensions={"http_version": b"HTTP/" + event.http_version, "reason_phrase": event.reason},
        )

    async def body(self, read_timeout: float | None) -> AsyncIterator[bytes]:
        """The response body's bytes as they come (chunked framing undone, content codings kept)."""
        while True:
            event = await self._next_event(read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage) or event is h11.PAUSED:
                return

    async def _next_event(self, read_timeout: float | None) -> Any:
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.socket.read(timeout=read_timeout)
            log = current_log()
            if log is not None:
                log.took(data, self)
            if data == b"" and self._h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            self._h11.receive_data(data)

    @property
    def reusable(self) -> bool:
        """Whether the response is over and the connection holds nothing that belongs to no request."""
        return (
            self._h11.our_state is h11.DONE
            and self._h11.their_state is h11.DONE
            and not self.spoiled
            and not self._h11.trailing_data[0]
        )

    def ready_for_next(self) -> None:
        self._h11.start_next_cycle()
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.socket.close()


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it hands the connection back to the pool."""

    def __init__(self, connection: _Connection, pool: _Pool, read_timeout: float | None) -> None:
        self._connection = connection
        self._pool = pool
        self._read_timeout = read_timeout
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._connection.body(self._read_timeout):
                yield chunk
        except BaseException:
            self._close(reuse=False)
            raise

    async def aclose(self) -> None:
        self._close(reuse=True)

    def _close(self, *, reuse: bool) -> None:
        if not self._closed:
            self._closed = True
            self._pool.release(self._connection, reuse=reuse)


class _Pool:
    """The open connections: at most ``max_connections``, idle ones kept per origin until they expire."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None) -> None:
        self._ssl_context = ssl_context
        self._max = limits.max_connections or 100
        idle = limits.max_keepalive_connections
        self._max_idle = self._max if idle is None else idle
        self._expiry = limits.keepalive_expiry
        self._idle: list[_Connection] = []
        self._open = 0  # idle and in use
        # Requests waiting for room, the longest waiting first.
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, origin: Origin, timeouts: dict[str, Any]) -> _Connection:
        """An idle connection to ``origin`` that is still good, else a new one once the limit allows."""
        while True:
            connection = self._idle_for(origin)
            if connection is not None:
                return connection
            if self._open < self._max:
                return await self._connect(origin, timeouts.get("connect"))
            if self._idle:  # idle connections to other origins make room
                self._drop(self._idle.pop(0))
                continue
            await self._wait_for_room(timeouts.get("pool"))

    def _idle_for(self, origin: Origin) -> _Connection | None:
        now = time.monotonic()
        for connection in list(self._idle):
            expired = self._expiry is not None and now - connection.idle_since > self._expiry
            # Bytes or an end on an idle connection: the server closed it, or sent what no request
            # asked for. A spoiled one holds bytes after its response (marked once its body was read).
            if expired or connection.spoiled or connection.socket.has_news:
                self._idle.remove(connection)
                self._drop(connection)
        for index in range(len(self._idle) - 1, -1, -1):  # the most recently used first: its socket is warm
            if self._idle[index].origin == origin:
                return self._idle.pop(index)
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        if scheme == "https" and self._ssl_context is None:
            raise httpx.UnsupportedProtocol("an https target needs the transport's TLS context")
        self._open += 1
        try:
            context = self._ssl_context if scheme == "https" else None
            socket = await connect(host, port, ssl_context=context, timeout=timeout)
        except BaseException:
            self._open -= 1
            self._notify()
            raise
        return _Connection(origin, socket, self)

    async def _wait_for_room(self, timeout: float | None) -> None:
        room = asyncio.get_running_loop().create_future()
        self._waiting.append(room)
        try:
            async with asyncio.timeout(timeout):
                await room
        except TimeoutError:
            raise httpx.PoolTimeout(f"no connection free within the pool timeout of {timeout:g} s") from None
        finally:
            if room in self._waiting:
                self._waiting.remove(room)

    def release(self, connection: _Connection, *, reuse: bool) -> None:
        """The response on ``connection`` is over: keep the connection for the next request, or close it."""
        if reuse and connection.reusable and len(self._idle) < self._max_idle:
            connection.ready_for_next()
            self._idle.append(connection)
            self._notify()
        else:
            self._drop(connection)

    def discard(self, connection: _Connection) -> None:
        """Close ``connection``: its request failed or was cancelled half-way."""
        if connection in self._idle:
            self._idle.remove(connection)
        self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open -= 1
        self._notify()

    def _notify(self) -> None:
        """Wake the request that waited longest for room (it looks again: an idle connection or a new one)."""
        while self._waiting:
            room = self._waiting.popleft()
            if not room.done():
                room.set_result(None)
                return

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._open -= len(self._idle)
        self._idle.clear()
