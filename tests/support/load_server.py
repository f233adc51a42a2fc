"""A loopback server that conforms one request at a time and breaks only under concurrency.

The conformant behaviour is fake_server's; each switch here misbehaves only
while more than ``limit`` requests are in flight (each answer is held for
``hold_s`` so that users pile up)::

    with load_server({"error_500_above"}, limit=2, token="t0k") as base_url:
        ...
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from conformance.contract import MODEL
from support.fake_server import _Handler, _State

LOAD_FAULTS = frozenset(
    {
        "error_500_above",  # 500 while more than `limit` requests are in flight
        "mixed_streams_above",  # streams started above `limit` carry another stream's token in each event
        "bare_429_above",  # 429 as text/plain, no envelope, above `limit`
        "polite_429_above",  # 429 with code 3040 and Retry-After above `limit` (conformant)
    }
)


class _Load:
    def __init__(self, faults: set[str], limit: int, hold_s: float) -> None:
        unknown = faults - LOAD_FAULTS
        assert not unknown, unknown
        self.faults = faults
        self.limit = limit
        self.hold_s = hold_s
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.over = 0  # answers given while over the limit


class _LoadHandler(_Handler):
    load: _Load

    def do_POST(self) -> None:
        load = self.load
        with load.lock:
            load.in_flight += 1
            load.peak = max(load.peak, load.in_flight)
            crowded = load.in_flight > load.limit
            load.over += crowded
        try:
            time.sleep(load.hold_s)
            if crowded and "error_500_above" in load.faults:
                self._drain()
                return self._send(500, {"error": "overloaded"})
            if crowded and "bare_429_above" in load.faults:
                self._drain()
                return self._send_bytes(429, b"Too Many Requests", "text/plain")
            if crowded and "polite_429_above" in load.faults:
                self._drain()
                return self._error(429, 3040, "Capacity temporarily exceeded", Retry_After="0")
            self.crowded = crowded
            super().do_POST()
        finally:
            with load.lock:
                load.in_flight -= 1

    def _drain(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _stream(self, words: list[str], usage: dict[str, int]) -> None:
        if not (getattr(self, "crowded", False) and "mixed_streams_above" in self.load.faults):
            return super()._stream(words, usage)
        # A batching server that writes a neighbour's token into this stream: each event's
        # data: line is followed by the other stream's, with no blank line between them.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for word in words:
            mine = json.dumps({"response": word})
            theirs = json.dumps({"response": "other "})
            self.wfile.write(f"data: {mine}\ndata: {theirs}\n\n".encode())
        self.wfile.write(f"data: {json.dumps({'response': '', 'usage': usage})}\n\ndata: [DONE]\n\n".encode())

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # a user stopped at the end of the run mid-answer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # users are cut off mid-answer when a load test ends: nothing to report


@contextmanager
def load_server(
    faults: set[str] | frozenset[str] = frozenset(),
    *,
    limit: int = 2,
    hold_s: float = 0.02,
    token: str | None = None,
    account: str = "X",
    model: str = MODEL,
    seen: dict[str, int] | None = None,
) -> Iterator[str]:
    """Serve on 127.0.0.1 in threads; yields the base URL. ``seen`` gets ``peak`` in flight and ``over``."""
    load = _Load(set(faults), limit, hold_s)
    state = _State(set(), token, account, model)
    handler = type("Handler", (_LoadHandler,), {"state": state, "load": load})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    finally:
        if seen is not None:
            seen.update(peak=load.peak, over=load.over, requests=state.requests)
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
