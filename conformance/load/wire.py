"""A blocking HTTP client for simulated users: one keep-alive connection each, cooperative under gevent.

Locust runs users as greenlets and patches the standard library's sockets,
so `http.client` here yields to other users on every read without an event
loop of its own. Bytes are handed to the toolkit's capped decoders as they
arrive: `BodyDecoder` for Content-Encoding, `SSEDecoder` for streams. The
result is the same `Exchange` the asyncio client builds, under the same caps
(decoded body bytes, stream events, one deadline for the whole response),
plus the gaps between a stream's events::

    connection = Connection("http://127.0.0.1:8787/client/v4", "X", token="t")
    sent = connection.send({"prompt": "Hello"})
    sent.exchange.status  # 200
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import MODEL
from conformance.transport import DONE, NOT_HTTP, REDACTED, Exchange, SSEDecoder, StreamFacts, Target, Timing
from conformance.transport import TransportSettings as Caps
from conformance.transport.decoding import ACCEPTED_ENCODINGS, BodyDecoder, DecodingError

MiB = 1024 * 1024
READ_SIZE = 64 * 1024
_KEPT_STREAM_BYTES = 64 * 1024  # raw head of a stream kept for the report, as the asyncio client keeps
_ERROR_CHARS = 300
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class _PastDeadline(Exception):
    """The whole response took longer than the response time cap."""


@dataclass(frozen=True)
class Sent:
    """One exchange and, for a stream, the seconds between consecutive events."""

    exchange: Exchange
    gaps: tuple[float, ...] = ()


class Connection:
    """One user's connection to ``POST {base}/accounts/{account}/ai/run/{model}``, reopened when closed."""

    def __init__(
        self,
        base_url: str,
        account_id: str,
        *,
        model: str = MODEL,
        token: str | None = None,
        caps: Caps | None = None,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self.path = Target(base_url, account_id, model).run_url_path
        self.url = f"{parts.scheme}://{parts.netloc}{self.path}"
        self.caps = caps or Caps()
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "Accept-Encoding": ACCEPTED_ENCODINGS,  # what BodyDecoder undoes
        }
        self.shown = {k.lower(): v for k, v in self._headers.items()}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
            self.shown["authorization"] = f"Bearer {REDACTED}"
        self._connection: http.client.HTTPConnection | None = None

    @classmethod
    def for_target(cls, target: Target, caps: Caps | None = None) -> Connection:
        """A connection to ``target``'s run route, with its token."""
        return cls(target.base_url, target.account_id, model=target.model, token=target.token, caps=caps)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            timeout = self.caps.connect_timeout_s
            if self._https:
                self._connection = http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        return self._connection

    def send(self, body: Any) -> Sent:
        """Send one run request (no retries: a 429 is an answer under load) and read what comes back."""
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        wants_stream = isinstance(body, dict) and body.get("stream") is True
        base = {"method": "POST", "url": self.url, "request_headers": self.shown, "request_body": body}
        started = time.perf_counter()
        try:
            response, sock = self._request(content)
        except (http.client.HTTPException, ValueError) as exc:
            self.close()
            return Sent(Exchange(**base, error=f"{NOT_HTTP}: {_describe(exc)}", timing=_since(started)))
        except OSError as exc:
            self.close()
            return Sent(Exchange(**base, error=_describe(exc), timing=_since(started)))
        ttfb = time.perf_counter() - started
        headers = {k.lower(): v for k, v in response.getheaders()}
        reader = _Reader(response, sock, self.caps, started)
        try:
            if wants_stream and 200 <= response.status < 300:
                raw, truncated, facts, gaps = reader.stream()
                exchange = Exchange(
                    **base,
                    status=response.status,
                    headers=headers,
                    body=raw,
                    body_truncated=truncated,
                    stream=facts,
                    timing=Timing(time.perf_counter() - started, ttfb, facts.first_event_s),
                )
                sent = Sent(exchange, gaps)
            else:
                raw, truncated, cut = reader.body()
                exchange = Exchange(
                    **base,
                    status=response.status,
                    headers=headers,
                    body=raw,
                    body_truncated=truncated,
                    error=cut,
                    timing=Timing(time.perf_counter() - started, ttfb),
                )
                sent = Sent(exchange)
        finally:
            response.close()  # read to the end (or given up): http.client needs it closed to send again
            if reader.unfinished or response.will_close:
                self.close()
        return sent

    def _request(self, content: bytes) -> tuple[http.client.HTTPResponse, socket.socket | None]:
        # A kept-alive connection the server closed in between fails before any answer: open a
        # fresh one once, as every HTTP client does. A second failure is the server's.
        for attempt in (0, 1):
            reused = self._connection is not None
            connection = self._open()
            try:
                connection.request("POST", self.path, body=content, headers=self._headers)
                sock = connection.sock  # before getresponse, which drops it when the answer closes
                if sock is not None:
                    sock.settimeout(self.caps.read_timeout_s)
                response = connection.getresponse()
            except _STALE:
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            return response, sock
        raise AssertionError("unreachable")


class _Reader:
    """Reads one response body within the caps; ``unfinished`` when it stopped before the end."""

    def __init__(
        self, response: http.client.HTTPResponse, sock: socket.socket | None, caps: Caps, started: float
    ) -> None:
        self.response = response
        self.sock = sock
        self.caps = caps
        self.started = started
        self.deadline = started + caps.max_response_s
        self.unfinished = True

    def _chunks(self) -> Any:
        """Raw chunks as they arrive; raises `_PastDeadline` past the response's deadline."""
        while True:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise _PastDeadline
            if self.sock is not None and left < self.caps.read_timeout_s:
                self.sock.settimeout(left)  # a read may not outlast the deadline
            try:
                chunk = self.response.read1(READ_SIZE)
            except TimeoutError:
                if time.perf_counter() >= self.deadline:
                    raise _PastDeadline from None
                raise
            if not chunk:
                self.unfinished = False
                return
            yield chunk

    def body(self) -> tuple[bytes, bool, str | None]:
        caps = self.caps
        decoder, note = _decoder(self.response, caps.max_body_bytes)
        pieces: list[bytes] = []
        try:
            for raw in self._chunks():
                pieces.append(decoder.feed(raw))
                if decoder.over_limit:
                    cut = f"body cut at the byte cap of {_size(caps.max_body_bytes)} (decoded)"
                    return b"".join(pieces)[: caps.max_body_bytes], True, note or cut
            pieces.append(decoder.flush())
        except _PastDeadline:
            return b"".join(pieces), True, f"body cut at the response time cap of {caps.max_response_s:g} s"
        except (OSError, http.client.HTTPException) as exc:
            return b"".join(pieces), False, f"body cut short: {_describe(exc)}"
        except DecodingError as exc:
            return b"".join(pieces), False, str(exc)
        return b"".join(pieces), False, note

    def stream(self) -> tuple[bytes, bool, StreamFacts, tuple[float, ...]]:
        caps = self.caps
        decoder = SSEDecoder()
        body, note = _decoder(self.response, caps.max_body_bytes)
        events: list[str] = []
        times: list[float] = []
        kept = bytearray()
        total = 0
        done = False
        after_done = 0
        broke_at: str | None = None

        def take(found: list[str]) -> str | None:
            nonlocal done, after_done
            now = time.perf_counter() - self.started
            for data in found:
                times.append(now)
                if done:
                    after_done += 1
                events.append(data)
                if data == DONE:
                    done = True
                if len(events) >= caps.max_stream_events:
                    return f"event cap of {caps.max_stream_events} events reached"
            return None

        def chunk_in(chunk: bytes) -> str | None:
            nonlocal total
            total += len(chunk)
            if len(kept) < _KEPT_STREAM_BYTES:
                kept.extend(chunk[: _KEPT_STREAM_BYTES - len(kept)])
            stop = take([e.data for e in decoder.feed(chunk)])
            if stop is None and total > caps.max_body_bytes:
                stop = f"byte cap of {_size(caps.max_body_bytes)} reached"
            return stop

        try:
            for raw in self._chunks():
                broke_at = chunk_in(body.feed(raw))
                if broke_at is not None:
                    break
            else:
                broke_at = chunk_in(body.flush()) or take([e.data for e in decoder.close()])
        except _PastDeadline:
            broke_at = f"time cap of {caps.max_response_s:g} s reached after {len(events)} events"
        except (OSError, http.client.HTTPException) as exc:
            broke_at = f"connection broke after {len(events)} events: {_describe(exc)}"
        except DecodingError as exc:
            broke_at = f"{exc}, after {len(events)} events"
        if broke_at is None and note is not None:
            broke_at = note
        if broke_at is None and not done:
            broke_at = "stream ended without data: [DONE]"
        facts = StreamFacts(
            events=tuple(events),
            bytes=total,
            done=done,
            after_done=after_done,
            broke_at=broke_at,
            first_event_s=times[0] if times else None,
            partial_event=decoder.pending,
        )
        gaps = tuple(later - earlier for earlier, later in pairwise(times))
        return bytes(kept), total > len(kept), facts, gaps


def _decoder(response: http.client.HTTPResponse, limit: int) -> tuple[BodyDecoder, str | None]:
    try:
        return BodyDecoder(response.getheader("content-encoding"), limit=limit), None
    except DecodingError as exc:
        return BodyDecoder(None, limit=limit), f"{exc}; the body is kept as sent"


def _since(started: float) -> Timing:
    return Timing(time.perf_counter() - started)


def _size(count: int) -> str:
    return f"{count / MiB:g} MiB" if count % MiB == 0 else f"{count} bytes"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or (exc.__class__.__doc__ or "").strip()
    line = text.splitlines()[0] if text else ""
    if len(line) > _ERROR_CHARS:
        line = line[:_ERROR_CHARS] + f"... ({len(line)} characters)"
    return f"{type(exc).__name__}: {line}".rstrip(": ")
