"""A loopback server that answers every request with one row of the framing table, byte for byte.

It speaks raw asyncio sockets, so it sends exactly the row's bytes (a head
h11 would refuse, a chunk that lies about its size), each piece in a write
of its own. After the last piece it closes the connection, or, for a row
that keeps it open, reads the next request on it::

    with framing_server(ROWS_BY_NAME["chunked_trailers"]) as base_url:
        ...  # Client(base_url, "X").send(...)

``connections``, when given, receives one entry per connection the server accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator

from support.framing_table import Row

PIECE_GAP_S = 0.005  # between pieces, so that each arrives in a read of its own


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """Read one request (its head and Content-Length body); its body, or None when the client
    closed the connection instead."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return await reader.readexactly(length)


def _handler(
    row: Row, connections: list[int]
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        try:
            while await read_request(reader) is not None:
                for index, piece in enumerate(row.wire):
                    if index:
                        await asyncio.sleep(PIECE_GAP_S)
                    writer.write(piece)
                    await writer.drain()
                if row.close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return handle


@contextlib.contextmanager
def framing_server(row: Row, connections: list[int] | None = None) -> Iterator[str]:
    """Serve ``row`` on a free loopback port in a thread; yields the base URL."""
    connections = [] if connections is None else connections
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()
    port: list[int] = []

    async def serve() -> None:
        server = await asyncio.start_server(_handler(row, connections), "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        await stop.wait()
        server.close()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if handlers:  # most have ended with their connection: cancel only the ones still waiting
            _, waiting = await asyncio.wait(handlers, timeout=1)
            for handler in waiting:
                handler.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    def main() -> None:
        loop.run_until_complete(serve())
        loop.close()

    thread = threading.Thread(target=main, name=f"framing-{row.name}", daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError(f"the framing server ({row.name}) did not start")
    try:
        yield f"http://127.0.0.1:{port[0]}/client/v4"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
