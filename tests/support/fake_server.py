"""A fake Workers AI server on loopback, conformant by default, broken on demand by fault switches.

Each fault breaks exactly one property, so a check can be shown to fail on
it and only on it::

    with fake_server(faults={"bad_result"}, token="t0k") as base_url:
        ...

Generated text is a deterministic function of the body (prompt, seed,
temperature); one word is one token.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from conformance.contract import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, MODEL, request_validator, run_path
from conformance.generation.cases import LARGE_BODY_BYTES

FAULTS = frozenset(
    {
        "accept_invalid",  # 200 for schema-invalid bodies
        "reject_valid",  # 400 for schema-valid bodies
        "server_error",  # 500 for schema-valid bodies
        "wrong_content_type",  # JSON sent as text/plain
        "bad_success_envelope",  # success: "yes"
        "bad_error_envelope",  # errors as an object
        "bad_result",  # result.response is a number
        "stream_bad_json",  # one event is not JSON
        "stream_no_done",  # no data: [DONE]
        "stream_after_done",  # an event after [DONE]
        "stream_not_sse",  # streamed requests answered with JSON
        "too_many_tokens",  # ignores max_tokens
        "too_many_chars",  # ignores max_tokens and reports no usage
        "bad_usage",  # total_tokens wrong
        "no_auth",  # accepts any token or none
        "nondeterministic",  # random text every time
        "stream_mismatch",  # streamed text differs from non-streamed
        "rate_limit_once",  # 429 with Retry-After: 0 on each body's first request
        "refuse_all_auth",  # 401 for every request
        "endless_stream",  # streams events forever, slowly
        "echo_auth",  # puts the Authorization header it got into every response text
        "stall_streams",  # answers streamed requests only when the server shuts down
        "counts_bytes",  # 400/5006 when a prompt or content is over 131072 UTF-8 bytes
        "counts_utf16",  # 400/5006 when a prompt or content is over 131072 UTF-16 units
        "caps_100000",  # 400/5006 when a prompt or content is over 100000 code points
        "reject_large",  # 400/5006 for schema-valid bodies over 64 KiB
        "stream_no_blank_line",  # stream events not separated by a blank line
        "stream_bad_usage",  # streamed usage: total_tokens wrong (JSON usage right)
        "stream_too_many_tokens",  # streamed usage: completion_tokens above max_tokens
        "ignore_default_max_tokens",  # no max_tokens in the body: 300 tokens
        "accept_unknown_model",  # serves any model name in the path
        "error_code_string",  # error codes as strings ("5006")
        "bare_413",  # 413 as text/plain with no envelope
        "reject_integral_float",  # 400/5006 for 5.0 in an integer field
        "nul_server_error",  # 500 when a prompt or content holds U+0000
        "tool_variant_by_key",  # 500 for a flat tool with a `function` member (variant chosen by key)
        "stream_ignores_seed",  # streamed text ignores the seed (random each time)
        "stream_functions_error",  # 500 for a streamed body with functions
        "other_methods_500",  # 500 for any method but POST (schemathesis probes them)
        "capacity_429",  # 429/3040 with Retry-After: 0, every time, to bodies over 64 KiB (conformant)
        "capacity_429_bad_envelope",  # the same 429s, with the error code as a string ("3040")
        "forbidden_403_plain_text",  # 403 as text/plain with no envelope for a wrong token
        "lying_content_length",  # JSON answers announce 16 bytes more than they send, then close
        "reseeds_on_new_seed",  # one generator for seeded requests, reseeded only when the seed changes
        "cache_last_answer",  # ignores the seed, but repeats its answer to a body identical to the last one
        "batch_shares_generator",  # requests in flight together draw their words from one generator
        "batch_leaks_parameters",  # requests in flight together run with the first one's seed and sampling
        "raw_path",  # routes on the undecoded path as a Worker does: encoded model 400/5007 (conformant)
        # Conformant behaviours other than the default, for `conformance diff` (one differs from the other):
        "bad_input_code_3003",  # schema-invalid bodies get 400 with code 3003 instead of 5006
        "refuse_large_413",  # bodies over 64 KiB get 413/3006, a body limit (the default answers a valid one)
        "no_usage",  # no usage, in JSON answers or streams
        "sample_unseeded",  # random text (other words) without a seed at a temperature above 0
        "random_padding",  # stream events' p padding of random length and content
        "shuffled_headers",  # response headers in a random order, with a random x-request-id
        "serves_docs_2025_01",  # schema version docs-2025-01: 400/5006 for a body with image
        "omits_usage",  # no usage, streamed or not: the page's version (docs-2025-01 declares usage)
        "retired_model",  # 400/5028 "This model was deprecated ..." for every run, as Cloudflare's
        "stop_answering",  # answers ANSWERED_BEFORE_STOPPING requests, then reads each and never answers
        "stall_streams_midway",  # every second stream: two events, then silence until shutdown
        "busy_429",  # 429/3040 with Retry-After above BUSY_ABOVE requests in flight (conformant)
        "busy_429_bare",  # the same refusals as text/plain, without the envelope
        "busy_429_no_retry_after",  # the same refusals with the envelope but no Retry-After
    }
)

RETIRED_MESSAGE = "AiError: 5028: This model was deprecated on 2025-10-01. Please use an alternative model"
"""Cloudflare's words for a retired model (cloudflare-docs issue #32501), with this model's date."""

STATEFUL = frozenset({"reseeds_on_new_seed", "cache_last_answer"})
"""Faults whose answer depends on the requests before it (see `_Generator`)."""

BATCHING = frozenset({"batch_shares_generator", "batch_leaks_parameters"})
"""Faults that generate the requests in flight together as one batch (see `_Batches`)."""

BATCH_WINDOW_S = 0.2
"""A batching server closes a batch when no request joined it for this long."""

_LEAKED = ("seed", "temperature", "top_p", "top_k", "max_tokens")

ANSWERED_BEFORE_STOPPING = 40
"""How many requests ``stop_answering`` answers before it goes silent: partway through any profile."""

BUSY_ABOVE = 2
"""The ``busy_429*`` switches refuse a request that arrives while this many are already in flight."""

BUSY_HOLD_S = 0.05
"""How long a ``busy_429*`` server holds each request it serves, so that concurrent ones overlap."""

_BUSY = frozenset({"busy_429", "busy_429_bare", "busy_429_no_retry_after"})

MAX_BODY_BYTES = 4 * 1024 * 1024
"""Bodies above this get 413 with code 3006, as a server with a body limit answers."""

_INTEGER_FIELDS = ("max_tokens", "top_k", "seed")

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "é€😀")


class _State:
    def __init__(self, faults: set[str], token: str | None, account: str, model: str) -> None:
        unknown = set(faults) - FAULTS
        assert not unknown, unknown
        self.faults = faults
        self.token = token
        self.path = "/client/v4" + run_path(account, model)
        self.account_prefix = "/client/v4" + run_path(account, "")
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.requests = 0
        self.request_lines: list[str] = []
        self.in_flight = 0
        self.streams = 0
        self.stopping = threading.Event()
        self.generator = _Generator()
        self.batches = _Batches()


def _texts(body: Any) -> list[str]:
    """The prompt and every message content of a body."""
    if not isinstance(body, dict):
        return []
    found = [body["prompt"]] if isinstance(body.get("prompt"), str) else []
    messages = body.get("messages")
    if isinstance(messages, list):
        found += [m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)]
    return found


def _miscounted(body: Any, faults: set[str]) -> bool:
    """Whether a fault that counts lengths wrongly refuses this body."""
    for text in _texts(body):
        if "counts_bytes" in faults and len(text.encode("utf-8")) > 131072:
            return True
        if "counts_utf16" in faults and len(text.encode("utf-16-le")) // 2 > 131072:
            return True
        if "caps_100000" in faults and len(text) > 100000:
            return True
    return False


def _flat_tool_with_function_member(body: Any) -> bool:
    """A flat tool (it has ``parameters``) that also carries a ``function`` member: junk to the schema."""
    tools = body.get("tools") if isinstance(body, dict) else None
    return isinstance(tools, list) and any(
        isinstance(tool, dict) and "parameters" in tool and "function" in tool for tool in tools
    )


def _key(body: dict[str, Any]) -> int:
    """What a conformant server's text depends on: the prompt or messages, the seed, the temperature."""
    key = json.dumps({k: body.get(k) for k in ("prompt", "messages", "seed", "temperature")}, sort_keys=True)
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def _text(body: dict[str, Any], faults: set[str], streamed: bool) -> list[str]:
    limit = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    limit = int(limit) if isinstance(limit, int | float) and not isinstance(limit, bool) else 8
    limit = max(0, min(limit, 24))
    if "max_tokens" not in body and "ignore_default_max_tokens" in faults:
        limit = 300
    if "too_many_tokens" in faults or "too_many_chars" in faults:
        limit = limit + 5
    random_text = "nondeterministic" in faults or (streamed and "stream_ignores_seed" in faults)
    # As a sampling model at temperature 0.6: words a repeat would almost never draw again, however short.
    sampled = (
        "sample_unseeded" in faults
        and "seed" not in body
        and body.get("temperature", DEFAULT_TEMPERATURE) != 0
    )
    rng = random.Random(_key(body) if not (random_text or sampled) else None)
    words = [rng.choice(WORDS) + (str(rng.randrange(10**6)) if sampled else "") + " " for _ in range(limit)]
    if streamed and "stream_mismatch" in faults and words:
        words[0] = "mismatch "
    if "too_many_chars" in faults:
        words = ["x" * 40 * max(1, limit)]
    return words


class _Generator:
    """The state a server keeps across requests: one generator and the last answer (stateful faults)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.random = random.Random(0)
        self.seed: Any = None
        self.last: tuple[str, list[str]] | None = None

    def words(self, body: dict[str, Any], faults: set[str], streamed: bool) -> list[str]:
        count = len(_text(body, faults, streamed))
        with self.lock:
            if "reseeds_on_new_seed" in faults:
                if "seed" not in body:
                    return _text(body, faults, streamed)
                # The bug: the same seed twice in a row continues the sequence instead of restarting it.
                if body["seed"] != self.seed:
                    self.random.seed(_key(body))
                    self.seed = body["seed"]
                return [self.random.choice(WORDS) + " " for _ in range(count)]
            # cache_last_answer: a sampler that ignores the seed behind a one-entry response cache.
            key = json.dumps(body, sort_keys=True)
            if self.last is None or self.last[0] != key:
                self.last = (key, [self.random.choice(WORDS) + " " for _ in range(count)])
            return list(self.last[1])


class _Batch:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.joined_at = time.monotonic()
        self.words: list[list[str]] | None = None


class _Batches:
    """Requests in flight together, grouped as a batching server groups them (batching faults).

    The first request of a batch waits until no other joined for
    `BATCH_WINDOW_S`, then generates every member's words at once.
    """

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.open: _Batch | None = None

    def words(self, body: dict[str, Any], faults: set[str]) -> list[str]:
        with self.changed:
            batch = self.open
            leader = batch is None
            if batch is None:
                batch = self.open = _Batch()
            index = len(batch.bodies)
            batch.bodies.append(body)
            batch.joined_at = time.monotonic()
            if leader:
                while (left := batch.joined_at + BATCH_WINDOW_S - time.monotonic()) > 0:
                    self.changed.wait(left)
                self.open = None
                batch.words = _batched(batch.bodies, faults)
                self.changed.notify_all()
            else:
                self.changed.wait_for(lambda: batch.words is not None)
            assert batch.words is not None
            return batch.words[index]


def _batched(bodies: list[dict[str, Any]], faults: set[str]) -> list[list[str]]:
    """Every member's words; alone, a request gets what the conformant server gives it."""
    own = [_text(b, faults, b.get("stream") is True) for b in bodies]
    if len(bodies) == 1:
        return own
    if "batch_leaks_parameters" in faults:
        first = {k: bodies[0][k] for k in _LEAKED if k in bodies[0]}
        leaked = [{**{k: v for k, v in b.items() if k not in _LEAKED}, **first} for b in bodies]
        return [_text(b, faults, b.get("stream") is True) for b in leaked]
    # batch_shares_generator: each step samples the batch's members in turn from one generator.
    shared = random.Random(_key(bodies[0]))
    words: list[list[str]] = [[] for _ in bodies]
    for step in range(max(len(w) for w in own)):
        for member, mine in zip(words, own, strict=True):
            if step < len(mine):
                member.append(shared.choice(WORDS) + " ")
    return words


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, payload: Any, content_type: str = "application/json", **headers: str
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        lie = 16 if "lying_content_length" in self.state.faults else 0
        if lie:
            self.close_connection = True  # the client learns the body is short when the connection closes
        pairs = [("Content-Type", content_type), ("Content-Length", str(len(data) + lie))]
        pairs += [(name.replace("_", "-"), value) for name, value in headers.items()]
        self._send_headers(pairs)
        self.wfile.write(data)

    def _send_headers(self, pairs: list[tuple[str, str]]) -> None:
        if "shuffled_headers" in self.state.faults:
            pairs = [
                *pairs,
                ("X-Request-Id", f"{random.getrandbits(64):016x}"),
                ("Cache-Control", "no-store"),
            ]
            random.shuffle(pairs)
        for name, value in pairs:
            self.send_header(name, value)
        self.end_headers()

    def _send_bytes(self, status: int, data: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)

    def _refuses_valid(self, body: Any, size: int) -> bool:
        """Whether a fault refuses this schema-valid body as if it broke the schema."""
        faults = self.state.faults
        if "reject_large" in faults and size > LARGE_BODY_BYTES:
            return True
        if "reject_integral_float" in faults and isinstance(body, dict):
            if any(isinstance(body.get(k), float) for k in _INTEGER_FIELDS):
                return True
        return _miscounted(body, faults)

    def _error(self, status: int, code: int, message: str, **headers: str) -> None:
        faults = self.state.faults
        as_string = "error_code_string" in faults or (status == 429 and "capacity_429_bad_envelope" in faults)
        errors: Any = [{"code": str(code) if as_string else code, "message": message}]
        if "bad_error_envelope" in faults:
            errors = {"code": code, "message": message}
        ctype = "text/plain" if "wrong_content_type" in faults else "application/json"
        self._send(
            status, {"errors": errors, "success": False, "result": {}, "messages": []}, ctype, **headers
        )

    def do_POST(self) -> None:
        state = self.state
        with state.lock:
            state.requests += 1
            state.request_lines.append(self.requestline)
            count = state.requests
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if "stop_answering" in state.faults and count > ANSWERED_BEFORE_STOPPING:
            state.stopping.wait()  # a hung server: the request is read, nothing ever comes back
            self.close_connection = True
            return None
        if state.faults & _BUSY:
            return self._busy(raw)
        return self._answer(raw)

    def _busy(self, raw: bytes) -> None:
        """Refuse above `BUSY_ABOVE` requests in flight, as a gateway in front of a full GPU does."""
        state = self.state
        with state.lock:
            refused = state.in_flight >= BUSY_ABOVE
            state.in_flight += 0 if refused else 1
        if refused:
            if "busy_429_bare" in state.faults:
                return self._send_bytes(429, b"Too Many Requests", "text/plain", Retry_After="0")
            if "busy_429_no_retry_after" in state.faults:
                return self._error(429, 3040, "Capacity temporarily exceeded")
            return self._error(429, 3040, "Capacity temporarily exceeded", Retry_After="0")
        try:
            time.sleep(BUSY_HOLD_S)
            return self._answer(raw)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _answer(self, raw: bytes) -> None:
        state = self.state
        faults = state.faults
        # Most servers decode the path first, so an encoded '@' and '/' in the model still
        # route; a Worker reading `new URL(request.url).pathname` sees the bytes as sent.
        path = self.path if "raw_path" in faults else unquote(self.path)
        if path != state.path and "accept_unknown_model" not in faults:
            if path.startswith(state.account_prefix):
                return self._error(400, 5007, "No such model or task")
            return self._error(404, 7003, "No route for that URI")
        auth = self.headers.get("Authorization")
        if "refuse_all_auth" in faults:
            return self._error(401, 10000, "Authentication error")
        if state.token is not None and "no_auth" not in faults and auth != f"Bearer {state.token}":
            if auth is not None and "forbidden_403_plain_text" in faults:
                return self._send_bytes(403, b"Forbidden", "text/plain")
            return self._error(401, 10000, "Authentication error")
        if "retired_model" in faults:
            return self._error(400, 5028, RETIRED_MESSAGE)
        if len(raw) > LARGE_BODY_BYTES and faults & {"capacity_429", "capacity_429_bad_envelope"}:
            # A capacity gate that charges by size: a large body never fits, however often it is retried.
            return self._error(429, 3040, "Capacity temporarily exceeded", Retry_After="0")
        if len(raw) > MAX_BODY_BYTES or ("refuse_large_413" in faults and len(raw) > LARGE_BODY_BYTES):
            if "bare_413" in faults:
                return self._send_bytes(413, b"Payload Too Large", "text/plain")
            return self._error(413, 3006, "Request is too large")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(400, 3003, "Bad request body")
        if "rate_limit_once" in faults:
            with state.lock:
                first = raw not in state.seen
                state.seen.add(raw)  # type: ignore[arg-type]
            if first:
                return self._error(429, 3040, "Capacity temporarily exceeded", Retry_After="0")
        valid = request_validator().is_valid(body)
        if not valid and "accept_invalid" not in faults:
            if "bad_input_code_3003" in faults:
                return self._error(400, 3003, "Bad request body")
            return self._error(400, 5006, "AiError: Bad input")
        if valid and "reject_valid" in faults:
            return self._error(400, 5006, "AiError: Bad input")
        if valid and "server_error" in faults:
            return self._send(500, {"error": "boom"})
        if valid and self._refuses_valid(body, len(raw)):
            return self._error(400, 5006, "AiError: Bad input")
        if valid and "serves_docs_2025_01" in faults and isinstance(body, dict) and "image" in body:
            return self._error(400, 5006, "AiError: Bad input: 'image' is not an input of this model")
        if valid and "nul_server_error" in faults and any("\x00" in t for t in _texts(body)):
            return self._send(500, {"error": "embedded null byte"})
        if valid and "tool_variant_by_key" in faults and _flat_tool_with_function_member(body):
            return self._send(500, {"error": "'bool' object is not iterable"})
        if (
            valid
            and "stream_functions_error" in faults
            and body.get("stream") is True
            and "functions" in body
        ):
            return self._send(500, {"error": "cannot stream functions"})
        body = body if isinstance(body, dict) else {}
        streamed = body.get("stream") is True
        if streamed and "stall_streams" in faults:
            state.stopping.wait()  # longer than any client's read timeout, over at shutdown
            self.close_connection = True
            return None
        words = self._words(body, streamed)
        usage = {"prompt_tokens": 3, "completion_tokens": len(words), "total_tokens": 3 + len(words)}
        if "bad_usage" in faults:
            usage["total_tokens"] += 1
        if "omits_usage" in faults:
            usage = {}
        if streamed and "stream_not_sse" not in faults:
            if "stream_bad_usage" in faults:
                usage = {**usage, "total_tokens": usage["total_tokens"] + 1}
            if "stream_too_many_tokens" in faults:
                usage = {**usage, "completion_tokens": 1000, "total_tokens": 1003}
            return self._stream(words, usage)
        result: dict[str, Any] = {"response": "".join(words)}
        if "echo_auth" in faults:
            result["response"] += f" (you sent {auth})"
        if "too_many_chars" not in faults and "no_usage" not in faults and usage:
            result["usage"] = usage
        if "bad_result" in faults:
            result["response"] = 5
        envelope = {
            "result": result,
            "success": "yes" if "bad_success_envelope" in faults else True,
            "errors": [],
            "messages": [],
        }
        self._send(200, envelope, "text/plain" if "wrong_content_type" in faults else "application/json")

    def _words(self, body: dict[str, Any], streamed: bool) -> list[str]:
        faults = self.state.faults
        if faults & STATEFUL:
            return self.state.generator.words(body, faults, streamed)
        if faults & BATCHING:
            return self.state.batches.words(body, faults)
        return _text(body, faults, streamed)

    def _not_allowed(self) -> None:
        # Only POST is routed, as on the real service; schemathesis probes other methods.
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.state.lock:
            self.state.requests += 1
            self.state.request_lines.append(self.requestline)
        if "other_methods_500" in self.state.faults:
            return self._send(500, {"error": "boom"})
        self._error(405, 7003, f"Method {self.command} not allowed", Allow="POST")

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_QUERY = _not_allowed

    def _stream(self, words: list[str], usage: dict[str, int]) -> None:
        faults = self.state.faults
        self.send_response(200)
        ctype = "application/json" if "wrong_content_type" in faults else "text/event-stream"
        self._send_headers([("Content-Type", ctype), ("Connection", "close")])
        self.close_connection = True
        if "endless_stream" in faults:
            try:
                while True:
                    self.wfile.write(b'data: {"response":"more "}\n\n')
                    self.wfile.flush()
                    time.sleep(0.001)
            except OSError:
                return
        events = [json.dumps({"response": w, "p": _padding(faults)}) for w in words]
        if "stream_bad_json" in faults:
            events.insert(1, "{not json")
        if "no_usage" not in faults:
            events.append(json.dumps({"response": "", "usage": usage} if usage else {"response": ""}))
        if "stream_no_done" not in faults:
            events.append("[DONE]")
        if "stream_after_done" in faults:
            events.append(json.dumps({"response": "late"}))
        # Mixed line endings and a comment, written in odd-sized pieces, as a picky server might.
        raw = ": hello\r\n\r\n" + "".join(
            f"data: {e}\r\n\r\n" if i % 2 else f"data:{e}\n\n" for i, e in enumerate(events)
        )
        if "stream_no_blank_line" in faults:
            raw = "".join(f"data: {e}\n" for e in events) + "\n"
        if "stall_streams_midway" in faults:
            with self.state.lock:
                self.state.streams += 1
                stall = self.state.streams % 2 == 1
            if stall:  # two events, then nothing: a generation loop stuck between two tokens
                self.wfile.write("".join(f"data: {e}\n\n" for e in events[:2]).encode())
                self.wfile.flush()
                self.state.stopping.wait()
                return
        data = raw.encode()
        for start in range(0, len(data), 7):
            self.wfile.write(data[start : start + 7])
            self.wfile.flush()
        self.close_connection = True


def _padding(faults: set[str]) -> str:
    if "random_padding" in faults:
        return "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=random.randint(1, 40)))
    return "abc"


@contextmanager
def fake_server(
    faults: set[str] | frozenset[str] = frozenset(),
    *,
    token: str | None = None,
    account: str = "X",
    model: str = MODEL,
    stats: dict[str, int] | None = None,
    request_lines: list[str] | None = None,
) -> Iterator[str]:
    """Serve on 127.0.0.1 in a thread; yields the base URL ``http://127.0.0.1:PORT/client/v4``.

    ``stats``, when given, receives ``requests``: how many the server answered;
    ``request_lines`` receives each request line as it came off the wire
    (``POST /client/v4/accounts/X/ai/run/@hf/... HTTP/1.1``).
    """
    state = _State(set(faults), token, account, model)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    finally:
        if stats is not None:
            stats["requests"] = state.requests
        if request_lines is not None:
            request_lines.extend(state.request_lines)
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
