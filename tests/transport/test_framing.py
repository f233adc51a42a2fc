"""Reading a response head's framing from raw bytes, and naming each fault (conformance.transport.framing).

The whole table of framings, against a loopback server, is tests/end_to_end/test_framing_table.py.
"""

from __future__ import annotations

import pytest

from conformance.transport.framing import body_fault, extra_bytes_fault, final_head, head_faults


def test_the_final_head_skips_interim_heads_and_keeps_every_field_line() -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Long: a\r\n  b\r\nx-long: c\r\n\r\n{}"
    )
    head = final_head(raw)
    assert head is not None and head.status == 200 and head.interim == (100, 103)
    assert head.fields == (("content-length", "2"), ("x-long", "a b"), ("x-long", "c"))
    assert head.headers == {"content-length": "2", "x-long": "a b, c"}
    assert raw[head.end :] == b"{}" and head.content_length == 2


@pytest.mark.parametrize(
    "raw", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", b"\x16\x03\x01 noise\r\n\r\n", b""]
)
def test_no_final_head_in_an_unfinished_head_or_in_noise(raw: bytes) -> None:
    assert final_head(raw) is None


def faults(*fields: str, status: str = "HTTP/1.1 200 OK") -> list[str]:
    head = final_head(("\r\n".join([status, *fields]) + "\r\n\r\n").encode())
    assert head is not None
    return head_faults(head)


def test_legal_heads_have_no_fault() -> None:
    assert faults("Content-Length: 0005") == []
    assert faults("Transfer-Encoding: Chunked") == []
    assert faults("Transfer-Encoding: chunked;x=1") == []
    assert faults("Content-Length: 5", status="HTTP/1.0 200 OK") == []
    assert faults() == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (["Content-Length: 5", "Content-Length: 6"], "Content-Length 5 and 6 disagree"),
        (["Content-Length: 5, 5"], "Content-Length sent as '5, 5'"),
        (["Content-Length: 5", "Content-Length: 5"], "Content-Length sent as '5' and '5'"),
        (["Content-Length: 1e3"], "Content-Length '1e3' is not a number of bytes"),
        (["Content-Length: " + "9" * 20], "is not a number of bytes"),
        (
            ["Content-Length: 5", "Transfer-Encoding: chunked"],
            "Transfer-Encoding and Content-Length both sent",
        ),
        (["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], "applies chunked more than once"),
        (["Transfer-Encoding: chunked, gzip"], "does not end in chunked"),
        (["Transfer-Encoding: deflate, chunked"], "applies deflate: the request sent no TE field"),
    ],
)
def test_each_head_fault_is_named(fields: list[str], says: str) -> None:
    found = faults(*fields)
    assert len(found) >= 1 and says in found[0], found


def test_transfer_encoding_in_http_1_0_and_an_unasked_upgrade_are_faults() -> None:
    assert "in an HTTP/1.0 response" in faults("Transfer-Encoding: chunked", status="HTTP/1.0 200 OK")[0]
    assert faults("Upgrade: h2c", status="HTTP/1.1 101 Switching Protocols")[0].startswith("101 Switching")


def test_h11_body_errors_become_sentences_naming_the_framing() -> None:
    head = final_head(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")
    closed = "peer closed connection without sending complete message body (received 4 bytes, expected 9)"
    assert body_fault(closed, head, 4) == (
        "Content-Length says 9 but the connection closed after 4 bytes (RFC 9112 section 6.3: the message is "
        "incomplete)"
    )
    chunked = "peer closed connection without sending complete message body (incomplete chunked read)"
    assert "ended without its last chunk" in (body_fault(chunked, None, 7) or "")
    assert "'zz'" in (body_fault("illegal chunk header: bytearray(b'zz\\r\\n')", None, 0) or "")
    footer = "malformed chunk footer: bytearray(b'ab') (expected b'\\r\\n')"
    assert "runs past the size" in (body_fault(footer, None, 0) or "")
    assert body_fault("Server disconnected without sending a response.", head, 0) is None


def test_bytes_past_a_content_length_body_are_counted() -> None:
    head = final_head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    assert head is not None
    assert extra_bytes_fault(head, head.end + 2) is None
    assert "5 more bytes followed those 2" in (extra_bytes_fault(head, head.end + 7) or "")
    chunked = final_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert chunked is not None and extra_bytes_fault(chunked, chunked.end + 100) is None
