"""The exchange: one request and everything observed about its response, as plain frozen values.

Checks judge exchanges; recordings store them; replay rebuilds them. Nothing
here holds a live connection or a secret: request headers are redacted when
the exchange is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.contract.bounded_json import read_json

REDACTED = "[REDACTED]"
"""What replaces a secret wherever one would be recorded."""

DONE = "[DONE]"
"""The data of the event that ends a stream."""

NOT_HTTP = "not an HTTP response"
"""How an exchange's ``error`` starts when the bytes that came back were not HTTP/1.1."""


SILENCES = ("connect", "refused", "read", "idle", "response")
"""Why a target gave no answer in time, as `Exchange.unanswered` says it: no connection within the
connect timeout, the connection refused, no byte within the read timeout, a stream with no byte
within the idle timeout, no response head within the response time cap. A response cut at the
time cap while its bytes kept coming is an answer, not silence."""


@dataclass(frozen=True)
class Timing:
    """Seconds from sending the request: to the end, to the first body byte, to the first SSE event."""

    total_s: float = 0.0
    ttfb_s: float | None = None
    ttfe_s: float | None = None


@dataclass(frozen=True)
class StreamFacts:
    """What a streamed body looked like, kept within the stream caps.

    ``events`` holds every event's data in order (``[DONE]`` and anything after
    it included), bounded by the event cap. ``broke_at`` says where and why the
    stream stopped early, or is None when it ended by itself. ``misnamed``
    holds the first lines an SSE reader ignored because their field name only
    resembles ``data``, ``event``, ``id`` or ``retry`` (``Data:``, ``data :``).
    """

    events: tuple[str, ...] = ()
    bytes: int = 0
    done: bool = False
    after_done: int = 0
    broke_at: str | None = None
    first_event_s: float | None = None
    partial_event: bool = False
    misnamed: tuple[str, ...] = ()

    @property
    def json_events(self) -> list[Any]:
        """Events before ``[DONE]`` parsed as JSON; unparseable (or too deep) ones are skipped."""
        parsed: list[Any] = []
        for data in self.events:
            if data == DONE:
                break
            try:
                parsed.append(read_json(data))
            except ValueError:
                continue
        return parsed


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response (or the error that replaced one).

    ``status`` is None when no response arrived; ``error`` then says why
    (``"ConnectError: ..."``). ``body`` is the raw response body for a
    non-streamed response, cut at the body cap (``body_truncated``); a streamed
    response keeps its facts in ``stream`` instead. ``framing`` names, one
    sentence each, what broke the HTTP/1.1 framing rules (RFC 9112 message
    length, RFC 9110 content codings); it is empty for a well-framed response.
    ``unanswered`` says which wait ran out when the target went silent (one of
    `SILENCES`), and ``retried`` holds the answers the client retried (429,
    503), oldest first.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_truncated: bool = False
    stream: StreamFacts | None = None
    error: str | None = None
    retries: int = 0
    retry_waits: tuple[float, ...] = ()
    timing: Timing = field(default_factory=Timing)
    framing: tuple[str, ...] = ()
    unanswered: str | None = None
    retried: tuple[Exchange, ...] = ()

    @property
    def content_type(self) -> str | None:
        """The media type of the response without parameters, lower-cased."""
        value = self.headers.get("content-type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises `JSONReadError` (a ValueError) when it is not JSON."""
        return read_json(self.body)
