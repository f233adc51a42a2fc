"""Where a run's requests go: the live client, a recording, or the answers another engine already has.

The driver sends through a `Sender` and, before a live run, sends `PROBE_BODY`
through a `Probe`; `LiveSender` is the live client's, `Watchdog` wraps one.
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.checks import Route
from conformance.transport import Auth, Client, Exchange

PROBE_BODY = {"prompt": "Hello", "max_tokens": 1}
"""Sent once before a live run: an unreachable target or a refused token ends the run at once."""


class Sender(Protocol):
    """Where requests go: the live client or a recording."""

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange: ...


class Probe(Protocol):
    """What sends the probe request: the live client, or a recording of its answer."""

    async def send(self, body: Any) -> Exchange: ...


class LiveSender:
    """Sends each request through a live `Client`, on the route a follow-up asks for."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        if route is None:
            return await self.client.send(body, auth=auth)
        return await self.client.send(body, auth=auth, account=route.account, model=route.model)
