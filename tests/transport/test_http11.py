"""The run's HTTP/1.1 transport over real loopback sockets: keep-alive, limits, timeouts, failures and TLS.

Each test serves raw bytes from an asyncio server in the test's own event
loop, so it decides exactly when a connection is answered, kept or closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.transport import Client
from conformance.transport.http11 import Http11Transport
from conformance.transport.wire import recording
from support.framing_server import read_request

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


@contextlib.asynccontextmanager
async def serving(
    handler: Handler, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback server running ``handler`` per connection: its base URL and the connections it accepted."""
    accepted: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(len(accepted))
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the test is over and its event loop cancels the handlers still waiting
        finally:
            writer.close()

    server = await asyncio.start_server(counted, host, 0, ssl=ssl_context)
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if ssl_context else "http"
    shown = f"[{host}]" if ":" in host else host
    async with server:
        yield f"{scheme}://{shown}:{port}", accepted


async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A keep-alive server: 200 "ok" to every request on the connection."""
    while await read_request(reader) is not None:
        writer.write(OK)
        await writer.drain()


def client(max_connections: int = 4, **timeouts: float) -> httpx.AsyncClient:
    timeout = httpx.Timeout(timeouts.pop("read", 5.0), **timeouts)
    transport = Http11Transport(httpx.Limits(max_connections=max_connections), ssl_context=None)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


def test_sequential_requests_share_one_keep_alive_connection() -> None:
    async def go() -> tuple[list[int], list[str]]:
        async with serving(answer_each) as (url, accepted), client() as http:
            texts = [(await http.post(url + "/run", content=b"{}")).text for _ in range(5)]
        return accepted, texts

    accepted, texts = asyncio.run(go())
    assert texts == ["ok"] * 5 and len(accepted) == 1


def test_concurrent_requests_open_at_most_max_connections() -> None:
    in_flight: list[int] = [0]
    most: list[int] = [0]

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            await asyncio.sleep(0.05)
            in_flight[0] -= 1
            writer.write(OK)
            await writer.drain()

    async def go() -> tuple[list[int], list[int]]:
        async with serving(slow) as (url, accepted), client(max_connections=2) as http:
            answers = await asyncio.gather(*(http.post(url, content=b"{}") for _ in range(6)))
        return accepted, [a.status_code for a in answers]

    accepted, statuses = asyncio.run(go())
    assert statuses == [200] * 6 and len(accepted) == 2 and most[0] == 2


def test_a_connection_idle_past_the_keepalive_expiry_is_not_reused() -> None:
    async def go() -> list[int]:
        transport = Http11Transport(httpx.Limits(max_connections=1, keepalive_expiry=0.1), ssl_context=None)
        async with serving(answer_each) as (url, accepted), httpx.AsyncClient(transport=transport) as http:
            await http.post(url, content=b"{}")
            await http.post(url, content=b"{}")  # at once: the same connection
            await asyncio.sleep(0.2)
            await http.post(url, content=b"{}")  # past the expiry: a new one
        return accepted

    assert len(asyncio.run(go())) == 2


def test_the_run_client_gives_up_a_connection_idle_for_over_a_second() -> None:
    # Before the servers that close soonest do (gunicorn after 2 s): a request sent on a
    # connection its server is closing that moment would be judged unanswered.
    async def go() -> tuple[list[int], list[int | None]]:
        async with serving(answer_each) as (url, accepted), Client(url, "X", token="t") as run_client:
            first = await run_client.send({"prompt": "a"})
            second = await run_client.send({"prompt": "b"})  # at once: the same connection
            await asyncio.sleep(1.2)
            third = await run_client.send({"prompt": "c"})  # idle past a second: a new one
        return accepted, [first.status, second.status, third.status]

    accepted, statuses = asyncio.run(go())
    assert statuses == [200, 200, 200] and len(accepted) == 2


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)  # no "connection: close", yet the server hangs up
        await writer.drain()

    async def go() -> tuple[list[int], list[int]]:
        async with serving(once) as (url, accepted), client() as http:
            first = await http.post(url, content=b"{}")
            await asyncio.sleep(0.05)  # the server's close arrives while the connection is idle
            second = await http.post(url, content=b"{}")
        return accepted, [first.status_code, second.status_code]

    accepted, statuses = asyncio.run(go())
    assert statuses == [200, 200] and len(accepted) == 2


def test_bytes_after_a_response_keep_its_connection_from_the_next_request() -> None:
    async def overlong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(OK + b"HTTP/1.1 418 stray\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()

    async def go() -> tuple[list[int], list[int]]:
        async with serving(overlong) as (url, accepted), client() as http:
            statuses = [(await http.post(url, content=b"{}")).status_code for _ in range(3)]
        return accepted, statuses

    accepted, statuses = asyncio.run(go())
    assert statuses == [200, 200, 200] and len(accepted) == 3


def test_a_spoiled_connection_is_closed_after_its_response() -> None:
    async def go() -> list[int]:
        async with serving(answer_each) as (url, accepted), client() as http:
            for _ in range(2):
                with recording() as log:
                    async with http.stream("POST", url, content=b"{}") as response:
                        await response.aread()
                        log.spoil()
        return accepted

    assert len(asyncio.run(go())) == 2


def test_the_response_s_raw_bytes_go_to_the_current_wire_log() -> None:
    async def go() -> tuple[bytes, int]:
        async with serving(answer_each) as (url, _), client() as http:
            with recording() as log:
                await http.post(url, content=b"{}")
        return bytes(log.head), log.total

    head, total = asyncio.run(go())
    assert head == OK and total == len(OK)


def test_an_ipv6_address_in_brackets() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback on this machine: {exc}")

    async def go() -> str:
        async with serving(answer_each, host="::1") as (url, _), client() as http:
            return (await http.post(url + "/run", content=b"{}")).text

    assert asyncio.run(go()) == "ok"


def test_a_refused_connection_is_a_connect_error() -> None:
    async def go() -> None:
        with socket_closed_port() as port:
            async with client() as http:
                await http.post(f"http://127.0.0.1:{port}/", content=b"{}")

    with pytest.raises(httpx.ConnectError):
        asyncio.run(go())


@contextlib.contextmanager
def socket_closed_port() -> Any:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


def test_silence_is_a_read_timeout_that_names_the_wait() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def go() -> None:
        async with serving(silent) as (url, _), client(read=0.2) as http:
            await http.post(url, content=b"{}")

    with pytest.raises(httpx.ReadTimeout, match=r"read timeout of 0\.2 s"):
        asyncio.run(go())


def test_a_close_before_any_answer_is_a_protocol_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async def go() -> None:
        async with serving(hang_up) as (url, _), client() as http:
            await http.post(url, content=b"{}")

    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
        asyncio.run(go())


def test_an_answer_sent_before_the_request_was_read_is_still_read() -> None:
    # 8 MiB does not fit the socket buffers: the server answers 413 and closes
    # while the client is still writing.
    async def refuse_early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()

    async def go() -> int:
        async with serving(refuse_early) as (url, _), client() as http:
            return (await http.post(url, content=b"x" * (8 * 1024 * 1024))).status_code

    assert asyncio.run(go()) == 413


def test_a_body_left_unread_closes_its_connection_and_frees_its_place() -> None:
    async def go() -> tuple[list[int], list[str]]:
        async with serving(answer_each) as (url, accepted), client(max_connections=1) as http:
            async with http.stream("POST", url, content=b"{}"):
                pass  # closed before its body was read
            texts = [(await http.post(url, content=b"{}")).text for _ in range(2)]
        return accepted, texts

    accepted, texts = asyncio.run(go())
    assert texts == ["ok", "ok"] and len(accepted) == 2


def test_a_cancelled_request_frees_its_place_in_the_pool() -> None:
    connections: list[int] = []

    async def slow_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        if len(connections) == 1:  # the first connection never answers
            await read_request(reader)
            await asyncio.sleep(5)
        await answer_each(reader, writer)

    async def go() -> str:
        async with serving(slow_first) as (url, _), client(max_connections=1) as http:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await http.post(url, content=b"{}")
            return (await http.post(url, content=b"{}")).text

    assert asyncio.run(go()) == "ok"


def test_no_room_in_the_pool_within_its_timeout_is_a_pool_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def go() -> None:
        async with serving(silent) as (url, _), client(max_connections=1, pool=0.1) as http:
            hung = asyncio.create_task(http.post(url, content=b"{}"))
            await asyncio.sleep(0.05)
            try:
                await http.post(url, content=b"{}")
            finally:
                hung.cancel()

    with pytest.raises(httpx.PoolTimeout):
        asyncio.run(go())


def test_https_with_a_trusted_certificate(tmp_path: Path) -> None:
    server_context, client_context = self_signed_contexts(tmp_path)

    async def go() -> str:
        async with serving(answer_each, server_context) as (url, _):
            transport = Http11Transport(httpx.Limits(max_connections=1), ssl_context=client_context)
            async with httpx.AsyncClient(transport=transport) as http:
                return (await http.post(url, content=b"{}")).text

    assert asyncio.run(go()) == "ok"


def test_https_with_an_untrusted_certificate_is_a_connect_error(tmp_path: Path) -> None:
    server_context, _ = self_signed_contexts(tmp_path)

    async def go() -> None:
        async with serving(answer_each, server_context) as (url, _):
            untrusting = ssl.create_default_context()  # the system's CAs, which never signed this one
            transport = Http11Transport(httpx.Limits(max_connections=1), ssl_context=untrusting)
            async with httpx.AsyncClient(transport=transport) as http:
                await http.post(url, content=b"{}")

    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(go())


def test_https_without_a_tls_context_is_refused() -> None:
    async def go() -> None:
        async with client() as http:
            await http.post("https://127.0.0.1:1/", content=b"{}")

    with pytest.raises(httpx.UnsupportedProtocol):
        asyncio.run(go())


def self_signed_contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a new self-signed certificate for 127.0.0.1, and a client context trusting it."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test's certificate, and it is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
            *["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            *["-keyout", str(key), "-out", str(cert)],
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    return server, trusting
