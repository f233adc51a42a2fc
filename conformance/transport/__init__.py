"""HTTP transport: the target, the httpx client and the SSE decoder. Knows nothing of checks."""

from __future__ import annotations

from conformance.transport.client import Auth, Client, TransportSettings
from conformance.transport.exchange import DONE, NOT_HTTP, REDACTED, Exchange, StreamFacts, Timing
from conformance.transport.sse import SSEDecoder, SSEEvent
from conformance.transport.target import (
    DEFAULT_TOKEN_ENV,
    EMBEDDED_ACCOUNT,
    FALLBACK_TOKEN_ENV,
    PLANNING_URL,
    Target,
    token_from_environment,
)

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "DONE",
    "EMBEDDED_ACCOUNT",
    "FALLBACK_TOKEN_ENV",
    "NOT_HTTP",
    "PLANNING_URL",
    "REDACTED",
    "Auth",
    "Client",
    "Exchange",
    "SSEDecoder",
    "SSEEvent",
    "StreamFacts",
    "Target",
    "Timing",
    "TransportSettings",
    "token_from_environment",
]
