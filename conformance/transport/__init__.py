"""HTTP transport: the httpx client and the SSE decoder. Knows nothing of checks."""

from __future__ import annotations

from conformance.transport.client import Auth, Client, TransportSettings
from conformance.transport.exchange import DONE, NOT_HTTP, REDACTED, Exchange, StreamFacts, Timing
from conformance.transport.sse import SSEDecoder, SSEEvent

__all__ = [
    "DONE",
    "NOT_HTTP",
    "REDACTED",
    "Auth",
    "Client",
    "Exchange",
    "SSEDecoder",
    "SSEEvent",
    "StreamFacts",
    "Timing",
    "TransportSettings",
]
