"""The reference server's HTTP layer: the Workers AI run route as a Starlette app.

It validates, routes and frames; an `Engine` produces the text. Nothing here
imports torch. Generation runs on a worker thread per request and reaches the
event loop through a queue, so many requests and streams are served at once;
a client that disconnects cancels its generation.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from conformance.contract import MODEL, ErrorBody, ErrorCode, SchemaVersion, schema_version
from conformance.server import openai_responses, sse
from conformance.server.engines.base import (
    Cancellation,
    Engine,
    EngineError,
    EngineUnavailable,
    Event,
    Finished,
    GenerationRequest,
    Piece,
    PromptTooLarge,
    UnknownAdapter,
)
from conformance.server.inputs import parse_body
from conformance.server.openai_inputs import OpenAIRequest, parse_chat_body, parse_completion_body
from conformance.server.stop_sequences import stopping_at

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""8 MiB: a maximal prompt of 131072 emoji is about 1.6 MB once JSON-escaped."""

GENERATION_WORKERS = 64
"""Generations in progress at once; more wait for a free worker (they still stream once started)."""

_DRAIN_LIMIT = 64 * 1024 * 1024
METHOD_NOT_ALLOWED = 7001
"""Not in the contract's table: the code Cloudflare's v4 API sends for a method a route lacks."""
INTERNAL_ERROR = 5000
"""Not in the contract's table: sent only for the server's own bugs, with status 500."""

log = logging.getLogger("conformance.server")

_ACCOUNT = "/client/v4/accounts/{account_id}"


def create_app(
    engine: Engine,
    *,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    model: str = MODEL,
    account_id: str | None = None,
    schema: SchemaVersion | str | None = None,
) -> Starlette:
    """The ASGI app serving ``POST /client/v4/accounts/{account_id}/ai/run/{model}``
    and the OpenAI-compatible ``.../ai/v1/chat/completions`` and ``.../ai/v1/completions``.

    With ``token`` (a non-empty string) every request must carry
    ``Authorization: Bearer <token>``;
    with ``account_id`` other accounts are routed nowhere (404, 7003);
    ``schema`` is the schema version the run route judges bodies by (the page's by default)::

        app = create_app(TransformersEngine.load(ensure_tiny_model()), token="secret")
        uvicorn.run(app, port=8787)
    """
    service = _Service(engine, token or None, max_body_bytes, model, account_id, schema_version(schema))
    app = Starlette(
        routes=[
            Route(f"{_ACCOUNT}/ai/run/{{model:path}}", service.run, methods=["POST"]),
            Route(f"{_ACCOUNT}/ai/v1/chat/completions", service.chat_completions, methods=["POST"]),
            Route(f"{_ACCOUNT}/ai/v1/completions", service.completions, methods=["POST"]),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
    # The real service answers 404, not a redirect, for a path that lacks a model.
    app.router.redirect_slashes = False
    return app


def error_response(error: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    """The Workers AI error envelope for ``error``, with the HTTP status its code carries."""
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"Method {request.method} not available for that URI."
        return JSONResponse(_envelope(METHOD_NOT_ALLOWED, message), status_code=405, headers=exc.headers)
    if exc.status_code == 404:
        return error_response(_no_route(request.url.path))
    return JSONResponse(
        _envelope(int(ErrorCode.ROUTE_NOT_FOUND), exc.detail),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    # A bug of ours, never a client mistake; the envelope keeps clients' parsers working.
    log.error("internal error serving %s", request.url.path, exc_info=exc)
    return JSONResponse(_envelope(INTERNAL_ERROR, "AiError: internal server error"), status_code=500)


def _envelope(code: int, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "code": code}], "success": False, "result": {}, "messages": []}


def _no_route(path: str) -> ErrorBody:
    return ErrorBody(
        ErrorCode.ROUTE_NOT_FOUND,
        f"Could not route to {path}, perhaps your object identifier is invalid?",
    )


@dataclass
class _Service:
    engine: Engine
    token: str | None
    max_body_bytes: int
    model: str
    account_id: str | None
    schema: SchemaVersion
    # Long-lived workers: a fresh thread per request would pay torch's per-thread
    # start-up (its OpenMP team) on every request, about 8 ms on this machine.
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=GENERATION_WORKERS, thread_name_prefix="generation"
        )
    )

    async def run(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return error_response(refused)
        requested = request.path_params["model"]
        if requested != self.model:
            return error_response(
                ErrorBody(
                    ErrorCode.NO_SUCH_MODEL,
                    f"No such model {requested} or task. This server runs {self.model}.",
                )
            )
        raw = await self._read_body(request)
        if isinstance(raw, ErrorBody):
            return error_response(raw, headers={"Connection": "close"})
        parsed = parse_body(raw, self.schema)
        if isinstance(parsed, ErrorBody):
            return error_response(parsed)
        started = await self._start(parsed.request)
        if isinstance(started, Response):
            return started
        events, cancellation = started
        if parsed.stream:
            return _EventStream(_sse_chunks(events), cancellation)
        return await _collect(events, cancellation, request.receive)

    async def chat_completions(self, request: Request) -> Response:
        return await self._openai(request, chat=True)

    async def completions(self, request: Request) -> Response:
        return await self._openai(request, chat=False)

    async def _openai(self, request: Request, *, chat: bool) -> Response:
        # The same gates as the run route, in the same order; the model is named in the body.
        refused = self._refused(request)
        if refused is not None:
            return error_response(refused)
        raw = await self._read_body(request)
        if isinstance(raw, ErrorBody):
            return error_response(raw, headers={"Connection": "close"})
        parsed: OpenAIRequest | ErrorBody = (parse_chat_body if chat else parse_completion_body)(
            raw, self.model
        )
        if isinstance(parsed, ErrorBody):
            return error_response(parsed)
        started = await self._start(parsed.request)
        if isinstance(started, Response):
            return started
        events, cancellation = started
        events = stopping_at(events, parsed.stops, cancellation)
        answer = openai_responses.Answer.new(self.model, chat=chat)
        if parsed.stream:
            chunks = openai_responses.chunks(answer, events, include_usage=parsed.include_usage)
            return _EventStream(chunks, cancellation)
        try:
            gathered = await _gather(events, cancellation, request.receive)
        except EngineUnavailable as exc:
            return _refusal(exc)
        if gathered is None:
            return Response(status_code=499)  # the client left; nobody reads this
        return JSONResponse(openai_responses.whole(answer, *gathered))

    def _refused(self, request: Request) -> ErrorBody | None:
        """The account and token gates every route shares."""
        if self.account_id is not None and request.path_params["account_id"] != self.account_id:
            return _no_route(request.url.path)
        if self.token is not None and not _authorized(request, self.token):
            return ErrorBody(ErrorCode.AUTHENTICATION, "Authentication error")
        return None

    async def _read_body(self, request: Request) -> bytes | ErrorBody:
        too_large = ErrorBody(
            ErrorCode.TOO_LARGE,
            f"Request is too large: this server accepts bodies up to {self.max_body_bytes} bytes.",
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > _DRAIN_LIMIT:
            return too_large
        body = bytearray()
        over = False
        seen = 0
        async for chunk in request.stream():
            # Past the limit the rest is read and dropped, so the client sees the 413
            # instead of a reset connection; past the drain limit we stop listening.
            seen += len(chunk)
            over = over or seen > self.max_body_bytes
            if not over:
                body += chunk
            elif seen > _DRAIN_LIMIT:
                break
        if over:
            return too_large
        return bytes(body)

    async def _start(
        self, generation: GenerationRequest
    ) -> tuple[AsyncIterator[Event], Cancellation] | Response:
        """Start generating; the events come back once the first is computed, or the refusal as a response."""
        if generation.lora is not None and generation.lora not in self.engine.adapters:
            error = UnknownAdapter(generation.lora, self.engine.adapters)
            return error_response(ErrorBody(ErrorCode.LORA_UNSUPPORTED, f"AiError: {error}"))
        cancellation = Cancellation()
        events = _events_in_thread(self.engine, generation, cancellation, self.workers)
        try:
            first = await anext(events)
        except EngineError as exc:
            await events.aclose()
            return _refusal(exc)
        return _chain(first, events), cancellation


def _refusal(exc: EngineError) -> Response:
    if isinstance(exc, EngineUnavailable):
        # Not the client's mistake: the engine (an upstream server) failed.
        log.error("engine failed: %s", exc)
        return JSONResponse(_envelope(INTERNAL_ERROR, f"AiError: {exc}"), status_code=502)
    code = ErrorCode.BAD_INPUT
    if isinstance(exc, UnknownAdapter):
        code = ErrorCode.LORA_UNSUPPORTED
    elif isinstance(exc, PromptTooLarge):
        code = ErrorCode.TOO_LARGE
    return error_response(ErrorBody(code, f"AiError: {exc}"))


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), token.encode())


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


async def _events_in_thread(
    engine: Engine, request: GenerationRequest, cancellation: Cancellation, workers: ThreadPoolExecutor
) -> AsyncGenerator[Event]:
    """Run ``engine.generate`` on a worker thread and hand its events to the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: the server is shutting down
            cancellation.cancel()

    def work() -> None:
        try:
            for item in engine.generate(request, cancellation):
                put(item)
        except BaseException as exc:
            put(_Failure(exc))
        finally:
            put(_END)

    workers.submit(work)
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            assert isinstance(item, Piece | Finished)
            yield item
    finally:
        cancellation.cancel()


async def _chain(first: Event, rest: AsyncIterator[Event]) -> AsyncIterator[Event]:
    yield first
    async for item in rest:
        yield item


async def _gather(
    events: AsyncIterator[Event], cancellation: Cancellation, receive: Receive
) -> tuple[str, Finished] | None:
    """The whole text and how it finished, or None when the client left first.

    Raises `EngineUnavailable` when the engine failed after its first piece.
    """
    texts: list[str] = []
    finished: Finished | None = None
    failure: EngineUnavailable | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_on_disconnect, receive, cancellation)
        try:
            async for item in events:
                if isinstance(item, Piece):
                    texts.append(item.text)
                else:
                    finished = item
        except EngineUnavailable as exc:  # an upstream failed after its first piece
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return None if finished is None else ("".join(texts), finished)


async def _collect(events: AsyncIterator[Event], cancellation: Cancellation, receive: Receive) -> Response:
    try:
        gathered = await _gather(events, cancellation, receive)
    except EngineUnavailable as exc:
        return _refusal(exc)
    if gathered is None:
        return Response(status_code=499)  # the client left; nobody reads this
    text, finished = gathered
    result: dict[str, Any] = {"response": text, "usage": finished.usage.to_json()}
    if finished.tool_calls:
        result["tool_calls"] = [call.to_json() for call in finished.tool_calls]
    return JSONResponse({"result": result, "success": True, "errors": [], "messages": []})


async def _cancel_on_disconnect(receive: Receive, cancellation: Cancellation) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            cancellation.cancel()
            return


async def _sse_chunks(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    async for item in events:
        if isinstance(item, Piece):
            if item.text:
                yield sse.text_event(item.text)
        else:
            yield sse.closing_event(item.usage, item.tool_calls)
    yield sse.DONE


class _EventStream(Response):
    """A text/event-stream response that cancels generation when the client disconnects."""

    media_type = "text/event-stream"

    def __init__(self, chunks: AsyncIterator[bytes], cancellation: Cancellation) -> None:
        # Response.__init__ would add Content-Length: 0; a stream has none.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
        ]
        self._chunks = chunks
        self._cancellation = cancellation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    await _cancel_on_disconnect(receive, self._cancellation)
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                async for chunk in self._chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                group.cancel_scope.cancel()
        except OSError:
            pass  # the client went away mid-send
        finally:
            self._cancellation.cancel()
            await _close(self._chunks)


async def _close(chunks: AsyncIterator[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
