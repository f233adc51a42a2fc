"""The HTTP client: sends run requests, reads streams incrementally, turns failures into exchanges.

Everything that can go wrong on the wire (refused connections, timeouts, a
stream that never ends, bytes that are not HTTP, a gzip bomb) comes back as an
`Exchange` with ``error`` or ``stream.broke_at`` set, never as an exception:
the runner judges what it got.

    >>> async def demo() -> None:
    ...     async with Client("http://127.0.0.1:8787/client/v4", "X", token="t") as client:
    ...         exchange = await client.send({"prompt": "Hello"})
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx

from conformance.contract import MODEL
from conformance.transport.decoding import (
    ACCEPTED_ENCODINGS,
    BodyDecoder,
    CappedBody,
    DecodingError,
    StackedDecoder,
    body_decoder,
)
from conformance.transport.exchange import DONE, NOT_HTTP, REDACTED, Exchange, StreamFacts, Timing
from conformance.transport.framing import Head, body_fault, extra_bytes_fault, final_head, head_faults
from conformance.transport.http11 import Http11Transport
from conformance.transport.sse import SSEDecoder
from conformance.transport.target import Target
from conformance.transport.wire import WireLog, recording, tls_context

Auth = Literal["token", "none", "wrong"]
"""How a request authenticates: with the run's token, with none, or with a made-up wrong one."""

MiB = 1024 * 1024
_KEPT_STREAM_BYTES = 64 * 1024  # raw head of a stream kept for the report
_RETRY_STATUSES = frozenset({429, 503})
_USER_AGENT = f"python-httpx/{httpx.__version__}"  # what httpx's client sends, kept for targets that log it
_ERROR_CHARS = 300  # an error message quotes what the server sent: keep it to a line


@dataclass(frozen=True)
class TransportSettings:
    """Limits of the client. Every one is bounded so that a misbehaving server ends as a result."""

    concurrency: int = 4
    connect_timeout_s: float = 10.0
    # A non-streamed answer only comes once its whole text is generated: 90 s covers 256 tokens of
    # a 13B model on a GPU many times over, and keeps the stop of a hung run (3 timeouts in a row,
    # all in flight together) under two minutes (docs/runner.md, "A target that stops answering").
    read_timeout_s: float = 90.0
    max_retries: int = 2
    max_retry_wait_s: float = 30.0
    max_body_bytes: int = 8 * MiB  # decoded bytes: a gzip bomb is cut here, not after inflating
    max_stream_events: int = 10_000
    max_response_s: float = 300.0  # the whole response, head to last byte, streamed or not
    # The longest a stream may go without a byte once its head came. A model sends a token every
    # few tens of milliseconds on a GPU and every second or so for a 13B model on a CPU; even the
    # first event after a 131072-character prompt comes within seconds on a GPU. A minute of
    # silence is a stalled stream, not a slow model, and it is half the read timeout, which bounds
    # the wait for a non-streamed answer that only comes once the whole text is generated.
    idle_timeout_s: float = 60.0


class Client:
    """An async client for ``POST {base}/accounts/{account}/ai/run/{model}``.

    Use as an async context manager; ``send`` may be called concurrently, the
    client keeps at most ``settings.concurrency`` requests in flight.
    """

    def __init__(
        self,
        base_url: str,
        account_id: str,
        *,
        model: str = MODEL,
        token: str | None = None,
        settings: TransportSettings | None = None,
    ) -> None:
        self.target = Target(base_url, account_id, model, token)
        self.url = self.target.run_url
        self._wrong_token = "conformance-wrong-" + secrets.token_hex(16)
        self.settings = settings or TransportSettings()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._transport: Http11Transport | None = None
        self._urls: dict[str, httpx.URL] = {}  # parsed once each: a run sends to one or two URLs
        timeout = httpx.Timeout(self.settings.read_timeout_s, connect=self.settings.connect_timeout_s)
        self._timeouts = {"timeout": timeout.as_dict()}

    @classmethod
    def for_target(cls, target: Target, settings: TransportSettings | None = None) -> Client:
        """The client of ``target`` (its URL, account, model and token)."""
        return cls(
            target.base_url, target.account_id, model=target.model, token=target.token, settings=settings
        )

    async def __aenter__(self) -> Client:
        s = self.settings
        # An idle connection is given up after a second, before the servers that close
        # soonest do (gunicorn after 2 s, uvicorn and Node after 5 s): a request sent on a
        # connection the server is closing that moment would be judged unanswered.
        limits = httpx.Limits(
            max_connections=s.concurrency, max_keepalive_connections=s.concurrency, keepalive_expiry=1.0
        )
        # httpx requests and responses over the toolkit's own HTTP/1.1 transport, without
        # httpx.AsyncClient: a run needs none of its cookies, redirects, auth or hooks, and
        # the transport keeps each response's raw head to name framing faults.
        self._transport = Http11Transport(
            limits, ssl_context=tls_context() if self.url.startswith("https:") else None
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _headers(self, auth: Auth) -> tuple[dict[str, str], dict[str, str]]:
        """The headers to send and the same headers as they may be recorded."""
        sent = {
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "accept-encoding": ACCEPTED_ENCODINGS,  # what BodyDecoder undoes (httpx's decoding is bypassed)
        }
        shown = dict(sent)
        sent["user-agent"] = _USER_AGENT  # not recorded: neither a secret nor part of the contract
        secret = {"token": self.target.token, "wrong": self._wrong_token, "none": None}[auth]
        if secret is not None:
            sent["authorization"] = f"Bearer {secret}"
            shown["authorization"] = f"Bearer {REDACTED}"
        return sent, shown

    async def send(
        self, body: Any, *, auth: Auth = "token", account: str | None = None, model: str | None = None
    ) -> Exchange:
        """Send one run request, retrying 429 and 503 within bounds, and return what happened.

        ``account`` and ``model`` replace the client's own in the path of this
        one request (a check asking for a model that does not exist).
        """
        if self._transport is None:
            raise RuntimeError("Client.send() outside 'async with Client(...)'")
        url = self.url
        if account is not None or model is not None:
            url = replace(
                self.target, account_id=account or self.target.account_id, model=model or self.target.model
            ).run_url
        sent, shown = self._headers(auth)
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        wants_stream = isinstance(body, dict) and body.get("stream") is True
        waits: list[float] = []
        retried: list[Exchange] = []  # kept: a refusal is judged even when a retry succeeds
        while True:
            async with self._slots:
                exchange = await self._attempt(url, content, sent, shown, body, wants_stream)
            if exchange.status not in _RETRY_STATUSES or len(waits) >= self.settings.max_retries:
                break
            wait = _retry_after(exchange.headers.get("retry-after"), attempt=len(waits))
            wait = min(wait, self.settings.max_retry_wait_s)
            waits.append(wait)
            retried.append(exchange)
            await asyncio.sleep(wait)
        return _with_retries(exchange, waits, retried)

    async def _attempt(
        self,
        url: str,
        content: bytes,
        sent: dict[str, str],
        shown: dict[str, str],
        body: Any,
        wants_stream: bool,
    ) -> Exchange:
        base = {"method": "POST", "url": url, "request_headers": shown, "request_body": body}
        started = time.perf_counter()
        try:
            return await self._exchange(url, base, content, sent, wants_stream, started)
        except Exception as exc:  # the last line: a response nothing below foresaw must not end the run
            error = f"the client could not read the response: {_describe(exc)}"
            return Exchange(**base, error=error, timing=Timing(time.perf_counter() - started))

    async def _exchange(
        self,
        url: str,
        base: dict[str, Any],
        content: bytes,
        sent: dict[str, str],
        wants_stream: bool,
        started: float,
    ) -> Exchange:
        assert self._transport is not None
        s = self.settings
        # One deadline for the whole response: a server that sends a byte just
        # before every read timeout would otherwise hold a case for ever.
        deadline = asyncio.get_running_loop().time() + s.max_response_s
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        request = httpx.Request("POST", parsed, content=content, headers=sent, extensions=self._timeouts)
        with recording() as wire:
            try:
                async with asyncio.timeout_at(deadline):
                    response = await self._transport.handle_async_request(request)
            except TimeoutError:
                error = f"no response head within the response time cap of {s.max_response_s:g} s"
                timing = Timing(time.perf_counter() - started)
                return Exchange(**base, error=error, unanswered="response", timing=timing)
            except httpx.ProtocolError as exc:  # 10 000 headers, a TLS record, noise: h11 refuses it
                head = final_head(bytes(wire.head))
                faults = head_faults(head) if head is not None else []
                if head is not None and faults:  # a head h11 refuses for its framing: a response all the same
                    return _refused(base, head, faults, wants_stream, time.perf_counter() - started)
                error = f"{NOT_HTTP}: {_describe(exc)}"
                return Exchange(**base, error=error, timing=Timing(time.perf_counter() - started))
            except httpx.HTTPError as exc:
                timing = Timing(time.perf_counter() - started)
                return Exchange(**base, error=_describe(exc), unanswered=_silence(exc), timing=timing)
            try:
                return await self._read(response, base, wants_stream, started, deadline, wire)
            finally:
                await response.aclose()

    async def _read(
        self,
        response: httpx.Response,
        base: dict[str, Any],
        wants_stream: bool,
        started: float,
        deadline: float,
        wire: WireLog,
    ) -> Exchange:
        ttfb = time.perf_counter() - started
        headers = {k.lower(): v for k, v in response.headers.items()}
        head = final_head(bytes(wire.head))
        framing = head_faults(head) if head is not None else []
        if wants_stream and 200 <= response.status_code < 300:
            raw, truncated, facts, ttfe, fault, silence = await self._read_stream(
                response, started, deadline, head
            )
            framing += _after_body(
                fault, facts.broke_at is None or facts.broke_at.startswith(_NO_DONE), head, wire
            )
            return Exchange(
                **base,
                status=response.status_code,
                headers=headers,
                body=raw,
                body_truncated=truncated,
                stream=facts,
                timing=Timing(time.perf_counter() - started, ttfb, ttfe),
                framing=tuple(framing),
                unanswered=silence,
            )
        raw, truncated, cut, fault, silence = await self._read_body(response, deadline, head)
        framing += _after_body(fault, cut is None, head, wire)
        return Exchange(
            **base,
            status=response.status_code,
            headers=headers,
            body=raw,
            body_truncated=truncated,
            error=cut,
            timing=Timing(time.perf_counter() - started, ttfb),
            framing=tuple(framing),
            unanswered=silence,
        )

    async def _read_body(
        self, response: httpx.Response, deadline: float, head: Head | None
    ) -> tuple[bytes, bool, str | None, str | None, str | None]:
        """The decoded body, whether it was cut, why it was cut or is odd, the framing fault found,
        and which wait ran out if one did."""
        s = self.settings
        body, fault = _capped(response, s.max_body_bytes)
        note = f"{fault}; the body is kept as sent" if fault else None
        received = 0
        try:
            async with asyncio.timeout_at(deadline):
                async for raw in response.aiter_raw():
                    received += len(raw)
                    body.feed(raw)
                    if body.over_limit:
                        cut = f"body cut at the byte cap of {_size(s.max_body_bytes)} (decoded)"
                        return body.finish()[0], True, note or cut, fault, None
                data, truncated = body.finish()
        except TimeoutError:  # its head came: an unfinished answer, not silence
            cut = f"body cut at the response time cap of {s.max_response_s:g} s"
            return body.partial()[0], True, cut, fault, None
        except httpx.HTTPError as exc:
            found = body_fault(str(exc), head, received)
            return (*body.partial(), f"body cut short: {found or _describe(exc)}", found, _silence(exc))
        except DecodingError as exc:
            return (*body.partial(), str(exc), str(exc), None)
        return data, truncated, note, fault, None

    async def _read_stream(
        self, response: httpx.Response, started: float, deadline: float, head: Head | None
    ) -> tuple[bytes, bool, StreamFacts, float | None, str | None, str | None]:
        """The stream's head bytes, whether there were more, its facts, time to first event,
        the framing fault found, and which wait ran out if one did."""
        s = self.settings
        decoder = SSEDecoder()
        body, fault = _decoder(response, s.max_body_bytes)
        note = f"{fault}; the body is kept as sent" if fault else None
        received = 0
        silence: str | None = None
        events: list[str] = []
        kept = bytearray()
        total = 0
        broke_at: str | None = None
        first_event: float | None = None
        done = False
        after_done = 0

        def take(found: list[str]) -> bool:
            nonlocal first_event, done, after_done
            for data in found:
                if first_event is None:
                    first_event = time.perf_counter() - started
                if done:
                    after_done += 1
                events.append(data)
                if data == DONE:
                    done = True
                if len(events) >= s.max_stream_events:
                    return False
            return True

        def chunk_in(chunk: bytes) -> str | None:
            nonlocal total
            total += len(chunk)
            if len(kept) < _KEPT_STREAM_BYTES:
                kept.extend(chunk[: _KEPT_STREAM_BYTES - len(kept)])
            if not take([e.data for e in decoder.feed(chunk)]):
                return f"event cap of {s.max_stream_events} events reached"
            if total > s.max_body_bytes:
                return f"byte cap of {_size(s.max_body_bytes)} reached"
            return None

        async def pump() -> str | None:
            nonlocal received, silence
            chunks = response.aiter_raw()
            while True:
                try:
                    async with asyncio.timeout(s.idle_timeout_s):
                        raw = await anext(chunks, None)
                except TimeoutError:
                    silence = "idle"
                    return f"stalled after {len(events)} events: no bytes for {s.idle_timeout_s:g} s"
                if raw is None:
                    break
                received += len(raw)
                for piece in body.pieces(raw):
                    stop = chunk_in(piece)
                    if stop is not None:
                        return stop
            stop = chunk_in(body.flush())
            take([e.data for e in decoder.close()])
            return stop

        try:
            async with asyncio.timeout_at(deadline):
                broke_at = await pump()
        except TimeoutError:  # events kept coming, or the idle timeout would have ended it first
            broke_at = f"time cap of {s.max_response_s:g} s reached after {len(events)} events"
        except httpx.HTTPError as exc:
            silence = _silence(exc)
            fault = body_fault(str(exc), head, received) or fault
            broke_at = f"connection broke after {len(events)} events: {fault or _describe(exc)}"
        except DecodingError as exc:
            fault = str(exc)
            broke_at = f"{exc}, after {len(events)} events"
        if broke_at is None and note is not None:
            broke_at = note
        if broke_at is None and not done:
            broke_at = _NO_DONE + decoder.lost()
        facts = StreamFacts(
            events=tuple(events),
            bytes=total,
            done=done,
            after_done=after_done,
            broke_at=broke_at,
            first_event_s=first_event,
            partial_event=decoder.pending,
            misnamed=tuple(decoder.misnamed),
        )
        return bytes(kept), total > len(kept), facts, first_event, fault, silence


def _capped(response: httpx.Response, limit: int) -> tuple[CappedBody, str | None]:
    """A whole body's reader, and the fault when its encoding is one the client did not ask for."""
    try:
        return CappedBody(response.headers.get("content-encoding"), limit=limit), None
    except DecodingError as exc:
        return CappedBody(None, limit=limit), str(exc)


def _silence(exc: httpx.HTTPError) -> str | None:
    """Which wait ran out (`SILENCES`), when ``exc`` is the target not answering in time."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect"
    if isinstance(exc, httpx.ConnectError):
        return "refused"
    if isinstance(exc, httpx.TimeoutException):
        return "read"
    return None


_NO_DONE = "stream ended without data: [DONE]"


def _decoder(response: httpx.Response, limit: int) -> tuple[BodyDecoder | StackedDecoder, str | None]:
    """The body's decoder, and the fault when its encoding is one the client did not ask for."""
    try:
        return body_decoder(response.headers.get("content-encoding"), limit=limit), None
    except DecodingError as exc:
        return BodyDecoder(None, limit=limit), str(exc)


def _refused(
    base: dict[str, Any], head: Head, faults: list[str], wants_stream: bool, total_s: float
) -> Exchange:
    """The exchange for a response whose head h11 refused for its framing: its status and fields, no body."""
    said = "; ".join(faults)
    streamed = wants_stream and 200 <= head.status < 300
    return Exchange(
        **base,
        status=head.status,
        headers=head.headers,
        stream=StreamFacts(broke_at=f"the response head was refused: {said}") if streamed else None,
        error=None if streamed else f"the response head was refused, its body not read: {said}",
        timing=Timing(total_s),
        framing=tuple(faults),
    )


def _after_body(fault: str | None, ended: bool, head: Head | None, wire: WireLog) -> list[str]:
    """The framing faults that reading the body found: its own, or bytes past a Content-Length body."""
    if fault is not None:
        return [fault]
    extra = extra_bytes_fault(head, wire.total) if ended and head is not None else None
    if extra is None:
        return []
    wire.spoil()  # those bytes must not be read as the next request's response
    return [extra]


def _size(count: int) -> str:
    return f"{count / MiB:g} MiB" if count % MiB == 0 else f"{count} bytes"


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__doc__ or ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) > _ERROR_CHARS:  # h11 quotes the whole bad line it got: up to 16 KiB of noise
        line = line[:_ERROR_CHARS] + f"... ({len(line)} characters)"
    return f"{type(exc).__name__}: {line}".rstrip(": ")


def _retry_after(value: str | None, *, attempt: int) -> float:
    """Seconds to wait: Retry-After as seconds or an HTTP date, else a short exponential backoff."""
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (ValueError, TypeError):
            when = None
        if when is not None:
            return max(0.0, float(when.timestamp()) - time.time())
    return 0.5 * 2.0**attempt


def _with_retries(exchange: Exchange, waits: list[float], retried: list[Exchange]) -> Exchange:
    if not waits:
        return exchange
    return replace(exchange, retries=len(waits), retry_waits=tuple(waits), retried=tuple(retried))
