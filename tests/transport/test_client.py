"""The HTTP client: retries, errors as results, stream caps, redaction, timings."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from conformance.contract.bounded_json import read_json
from conformance.transport import Client, Exchange, TransportSettings
from conformance.transport.client import _retry_after
from support.fake_server import fake_server
from support.hostile_server import hostile_server
from support.samples import TOKEN


def send(url: str, body: Any, *, settings: TransportSettings | None = None, **kwargs: Any) -> Exchange:
    async def go() -> Exchange:
        async with Client(url, "X", token=TOKEN, settings=settings) as client:
            return await client.send(body, **kwargs)

    return asyncio.run(go())


def test_a_plain_exchange_keeps_status_headers_body_and_timings() -> None:
    with fake_server(token=TOKEN) as url:
        exchange = send(url, {"prompt": "Hello", "max_tokens": 3})
    assert exchange.status == 200 and exchange.content_type == "application/json"
    assert exchange.json()["success"] is True
    assert exchange.timing.ttfb_s is not None and exchange.timing.total_s >= exchange.timing.ttfb_s
    assert exchange.request_headers["authorization"] == "Bearer [REDACTED]"
    assert TOKEN not in repr(exchange)


def test_a_stream_is_decoded_incrementally_with_its_facts() -> None:
    with fake_server(token=TOKEN) as url:
        exchange = send(url, {"prompt": "Hello", "max_tokens": 3, "stream": True})
    facts = exchange.stream
    assert facts is not None and facts.done and facts.broke_at is None and facts.after_done == 0
    assert facts.events[-1] == "[DONE]" and len(facts.events) == 5  # 3 words, usage, [DONE]
    assert exchange.timing.ttfe_s is not None and facts.first_event_s == exchange.timing.ttfe_s


def test_429_is_retried_honouring_retry_after_and_the_retry_is_recorded() -> None:
    with fake_server({"rate_limit_once"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "Hello"})
    assert exchange.status == 200 and exchange.retries == 1 and exchange.retry_waits == (0.0,)


def test_retries_are_bounded() -> None:
    settings = TransportSettings(max_retries=0)
    with fake_server({"rate_limit_once"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "Hello"}, settings=settings)
    assert exchange.status == 429 and exchange.retries == 0


def test_retry_after_as_seconds_date_or_absent() -> None:
    assert _retry_after("3", attempt=0) == 3.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT", attempt=0) == 0.0  # in the past
    assert _retry_after(None, attempt=2) == 2.0
    assert _retry_after("soon", attempt=0) == 0.5


def test_an_unreachable_target_is_an_exchange_with_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exchange = send(f"http://127.0.0.1:{port}/client/v4", {"prompt": "x"})
    assert exchange.status is None and exchange.error and exchange.error.startswith("ConnectError")


def test_endless_streams_end_at_the_event_cap() -> None:
    settings = TransportSettings(max_stream_events=50)
    with fake_server({"endless_stream"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "x", "stream": True}, settings=settings)
    assert exchange.stream is not None and len(exchange.stream.events) == 50
    assert exchange.stream.broke_at == "event cap of 50 events reached"


def test_endless_streams_end_at_the_time_cap() -> None:
    settings = TransportSettings(max_response_s=0.3)
    with fake_server({"endless_stream"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "x", "stream": True}, settings=settings)
    assert exchange.stream is not None and exchange.stream.broke_at
    assert exchange.stream.broke_at.startswith("time cap of 0.3 s reached")


def test_endless_streams_end_at_the_byte_cap() -> None:
    settings = TransportSettings(max_body_bytes=2000)
    with fake_server({"endless_stream"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "x", "stream": True}, settings=settings)
    assert exchange.stream is not None and exchange.stream.broke_at == "byte cap of 2000 bytes reached"
    assert exchange.stream.bytes <= 2000 + 64 * 1024


def test_requests_without_or_with_a_wrong_token() -> None:
    with fake_server(token=TOKEN) as url:
        none = send(url, {"prompt": "x"}, auth="none")
        wrong = send(url, {"prompt": "x"}, auth="wrong")
    assert none.status == 401 and "authorization" not in none.request_headers
    assert wrong.status == 401 and wrong.request_headers["authorization"] == "Bearer [REDACTED]"


def test_one_request_can_name_another_model_or_account_in_its_path() -> None:
    with fake_server(token=TOKEN) as url:
        unknown_model = send(url, {"prompt": "Hello"}, model="@cf/no/such-model")
        unknown_account = send(url, {"prompt": "Hello"}, account="nobody")
        usual = send(url, {"prompt": "Hello", "max_tokens": 1})
    assert unknown_model.url.endswith("/accounts/X/ai/run/@cf/no/such-model")
    assert unknown_model.status == 400 and unknown_model.json()["errors"][0]["code"] == 5007
    assert "/accounts/nobody/ai/run/" in unknown_account.url and unknown_account.status == 404
    assert usual.status == 200 and usual.url.endswith("/accounts/X/ai/run/@hf/thebloke/llama-2-13b-chat-awq")


# Tight caps so that every hostile behaviour ends in about a second at most.
HOSTILE_SETTINGS = TransportSettings(
    read_timeout_s=2, connect_timeout_s=2, max_response_s=1, max_body_bytes=1024 * 1024, max_stream_events=500
)


def _story(exchange: Exchange) -> str:
    """Everything the client says about an exchange, in one line to search."""
    parts = [str(exchange.status), exchange.error or "", *exchange.framing]
    if exchange.stream is not None:
        parts.append(exchange.stream.broke_at or "")
        for data in exchange.stream.events[:2]:
            try:
                read_json(data)
            except ValueError as exc:
                parts.append(f"event not JSON: {exc}")
    else:
        try:
            exchange.json()
            parts.append("JSON")
        except ValueError as exc:
            parts.append(f"not JSON: {exc}")
    return " | ".join(parts)


@pytest.mark.parametrize(
    ("behaviour", "stream", "says"),
    [
        ("deep_json", False, "not JSON: JSON nested deeper than 128 levels"),
        ("deep_json_stream", True, "event not JSON: JSON nested deeper than 128 levels"),
        ("huge_number", False, "not JSON: an integer of 100000 digits"),
        ("non_finite", False, "not JSON: NaN is not a JSON number"),
        ("invalid_utf8", False, "not JSON: bytes that are not utf-8 at byte"),
        ("invalid_utf8_stream", True, "event not JSON: Expecting value"),
        ("control_characters", False, "200 |  | JSON"),
        ("endless_stream", True, "event cap of 500 events reached"),
        ("endless_slow_stream", True, "time cap of 1 s reached after"),
        ("slow_body", False, "body cut at the response time cap of 1 s"),
        ("gzip_bomb", False, "body cut at the byte cap of 1 MiB (decoded)"),
        ("gzip_bomb", True, "byte cap of 1 MiB reached"),
        ("many_headers", False, "None | not an HTTP response: RemoteProtocolError"),
        ("not_http", False, "None | not an HTTP response: RemoteProtocolError"),
        ("endless_head", False, "None | not an HTTP response: RemoteProtocolError"),
        (
            "closed_mid_body",
            False,
            "body cut short: Content-Length says 100000 but the connection closed after 20",
        ),
        ("wrong_content_length", False, "Content-Length says 10 but 59 more bytes followed those 10"),
        ("huge_sse_line", True, "byte cap of 1 MiB reached"),
    ],
)
def test_a_hostile_response_is_an_exchange_that_says_what_went_wrong(
    behaviour: str, stream: bool, says: str
) -> None:
    with hostile_server(behaviour) as url:
        exchange = send(url, {"prompt": "x", "stream": stream}, settings=HOSTILE_SETTINGS)
    assert says in _story(exchange)
    assert len(exchange.body) <= HOSTILE_SETTINGS.max_body_bytes
    assert exchange.error is None or len(exchange.error) < 400  # h11 quotes what it got: kept to a line


def test_a_stream_silent_for_the_idle_timeout_is_stalled_after_its_events() -> None:
    settings = TransportSettings(idle_timeout_s=0.5)
    with fake_server({"stall_streams_midway"}, token=TOKEN) as url:
        stalled = send(url, {"prompt": "Hello", "max_tokens": 3, "stream": True}, settings=settings)
        whole = send(url, {"prompt": "Hello", "max_tokens": 3, "stream": True}, settings=settings)
    assert stalled.stream is not None and len(stalled.stream.events) == 2
    assert stalled.stream.broke_at == "stalled after 2 events: no bytes for 0.5 s"
    assert stalled.unanswered == "idle" and stalled.status == 200
    assert whole.stream is not None and whole.stream.done and whole.unanswered is None


def test_which_wait_ran_out_is_said_when_the_target_is_silent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = send(f"http://127.0.0.1:{port}/client/v4", {"prompt": "x"})
    assert refused.unanswered == "refused"
    with fake_server({"stall_streams"}, token=TOKEN) as url:
        read = send(url, {"prompt": "x", "stream": True}, settings=TransportSettings(read_timeout_s=0.3))
        capped = send(url, {"prompt": "x", "stream": True}, settings=TransportSettings(max_response_s=0.3))
        answered = send(url, {"prompt": "x"})
    assert read.unanswered == "read" and read.error is not None and read.error.startswith("ReadTimeout")
    assert capped.unanswered == "response" and capped.status is None
    assert answered.unanswered is None


def test_a_429_the_client_retried_is_kept_beside_the_answer() -> None:
    with fake_server({"rate_limit_once"}, token=TOKEN) as url:
        exchange = send(url, {"prompt": "Hello"})
    assert exchange.status == 200 and len(exchange.retried) == 1
    refusal = exchange.retried[0]
    assert refusal.status == 429 and refusal.headers["retry-after"] == "0" and refusal.retried == ()
    assert refusal.json()["errors"][0]["code"] == 3040


def test_a_gzip_bomb_body_keeps_only_a_head_to_quote() -> None:
    with hostile_server("gzip_bomb") as url:
        exchange = send(url, {"prompt": "x"})
    assert exchange.body_truncated and exchange.error == "body cut at the byte cap of 8 MiB (decoded)"
    assert 0 < len(exchange.body) <= 4096 and set(exchange.body) == {0}
