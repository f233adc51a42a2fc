"""How the plugin talks to its target: a client for sync code.

pytest calls tests from plain functions, so the async `conformance.transport.Client`
runs on an event loop of its own in a background thread; the suite's items
and the ``conformance_client`` fixture both send through one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from conformance.pytest_plugin.settings import Settings
from conformance.transport import Auth, Client, Exchange, Target, TransportSettings

T = TypeVar("T")


class LoopThread:
    """An event loop in a daemon thread, for sending from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="conformance-sender", daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.submit(coroutine).result()

    def close(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        self.call(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def open_client(target: Target, settings: TransportSettings) -> tuple[LoopThread, Client]:
    """A loop thread and a client to ``target`` entered on it."""
    thread = LoopThread()
    client = Client.for_target(target, settings)
    thread.call(client.__aenter__())
    return thread, client


def close_client(thread: LoopThread, client: Client) -> None:
    thread.call(client.__aexit__(None, None, None))
    thread.close()


class SyncClient:
    """The ``conformance_client`` fixture: sends one body to the target and returns the `Exchange`::

        def test_hello(conformance_client):
            exchange = conformance_client.send({"prompt": "Hello", "max_tokens": 8})
            assert exchange.status == 200
    """

    def __init__(self, target: Target, settings: Settings) -> None:
        self.target = target
        self._settings = TransportSettings(concurrency=settings.concurrency)
        self._opened: tuple[LoopThread, Client] | None = None

    def __enter__(self) -> SyncClient:
        self._opened = open_client(self.target, self._settings)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._opened is not None:
            close_client(*self._opened)
            self._opened = None

    def send(self, body: Any, *, auth: Auth = "token") -> Exchange:
        """POST ``body`` to the run route (``auth``: "token", "none" or "wrong") and wait for the answer."""
        if self._opened is None:
            raise RuntimeError("SyncClient.send() outside 'with SyncClient(...)'")
        thread, client = self._opened
        return thread.call(client.send(body, auth=auth))
