"""The bridge: schemathesis responses read as our exchanges and cases, the same way our client reads them."""

from __future__ import annotations

import json

import requests
import schemathesis
from schemathesis.core.transport import read_event_stream

from conformance.contract import run_path
from conformance.fuzz.bridge import OFF_ROUTE, Target, stream_facts, to_case, to_exchange
from conformance.fuzz.engine import curl_line
from conformance.fuzz.hooks import STALLED, idle_reads
from conformance.transport import REDACTED
from support.fake_server import fake_server
from support.samples import TOKEN

BASE = "http://127.0.0.1:9/client/v4"
TARGET = Target(BASE, "X", "@hf/thebloke/llama-2-13b-chat-awq", "s3cret")


def response(
    body: object, content: bytes, *, method: str = "POST", ctype: str = "application/json"
) -> object:
    prepared = requests.Request(
        method,
        BASE + run_path("X"),
        data=json.dumps(body),
        headers={"Authorization": "Bearer s3cret", "Content-Type": "application/json"},
    ).prepare()
    return schemathesis.Response(
        status_code=200,
        headers={"Content-Type": [ctype]},
        content=content,
        request=prepared,
        elapsed=0.1,
        verify=True,
    )


def test_a_stream_body_is_read_by_our_sse_decoder() -> None:
    raw = b'data: {"response":"a"}\r\n\r\ndata:{"response":"b"}\n\ndata: [DONE]\n\n'
    facts = stream_facts(raw)
    assert facts.events == ('{"response":"a"}', '{"response":"b"}', "[DONE]")
    assert facts.done and facts.after_done == 0 and facts.broke_at is None


def test_a_stream_without_done_is_reported_as_stopped() -> None:
    facts = stream_facts(b'data: {"response":"a"}\n\n')
    assert not facts.done and facts.broke_at == "stream ended without data: [DONE]"


def test_a_response_becomes_an_exchange_without_the_token() -> None:
    exchange = to_exchange(response({"prompt": "Hi"}, b'{"result":{}}'), "s3cret")
    assert exchange.status == 200 and exchange.request_body == {"prompt": "Hi"}
    assert exchange.request_headers["authorization"] == f"Bearer {REDACTED}"
    assert "s3cret" not in json.dumps(exchange.request_headers) and exchange.stream is None


def test_a_streamed_request_gets_stream_facts() -> None:
    exchange = to_exchange(response({"prompt": "Hi", "stream": True}, b"data: [DONE]\n\n"), "s3cret")
    assert exchange.stream is not None and exchange.stream.done


def test_cases_are_valid_or_invalid_by_our_validator_and_tagged_off_route() -> None:
    valid = to_case(to_exchange(response({"prompt": "Hi"}, b""), "s3cret"), TARGET, phase="coverage")
    assert valid.id.startswith("valid/fuzz-coverage-") and OFF_ROUTE not in valid.tags
    invalid = to_case(to_exchange(response({"prompt": ""}, b""), "s3cret"), TARGET, phase="fuzzing")
    assert invalid.id.startswith("invalid/") and invalid.violates == ("/prompt", "minLength")
    other = to_case(to_exchange(response({"prompt": "Hi"}, b"", method="PUT"), "s3cret"), TARGET, phase="x")
    assert OFF_ROUTE in other.tags
    wrong = to_case(
        to_exchange(response({"prompt": "Hi"}, b""), "s3cret"), TARGET, phase="x", authorized=False
    )
    assert OFF_ROUTE in wrong.tags


def test_the_curl_line_leaves_the_token_to_the_shell() -> None:
    line = curl_line(to_exchange(response({"prompt": "it's"}, b""), "s3cret"))
    assert line.startswith("curl -X POST http://127.0.0.1:9/client/v4/accounts/X/ai/run/")
    assert '"Authorization: Bearer $CLOUDFLARE_API_TOKEN"' in line and "s3cret" not in line
    assert '--data-binary \'{"prompt": "it\'"\'"\'s"}\'' in line


def test_cases_are_valid_or_invalid_by_the_runs_schema_version() -> None:
    from conformance.contract import schema_version
    from conformance.generation import CaseKind

    sent = to_exchange(response({"prompt": "Hi", "image": True}, b""), "s3cret")
    page = to_case(sent, TARGET, phase="fuzzing")
    later = to_case(sent, TARGET, phase="fuzzing", schema=schema_version("docs-2025-01"))
    # `image: true` breaks the page's oneOf for image; the later version does not declare image at all.
    assert page.kind is CaseKind.INVALID and later.kind is CaseKind.VALID


def test_a_stream_silent_for_the_idle_timeout_is_cut_and_reported_stalled() -> None:
    # What `conformance fuzz --idle-timeout` hooks into schemathesis's requests: every second stream stalls.
    from schemathesis.transport.requests import _iter_event_stream

    body = {"prompt": "Hi", "max_tokens": 3, "stream": True}
    with fake_server({"stall_streams_midway"}, token=TOKEN) as url, requests.Session() as session:
        exchanges = []
        for _ in range(2):
            sent = session.post(
                url + run_path("X"),
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
                stream=True,
                timeout=30,
                hooks={"response": [idle_reads(0.5)]},
            )
            content, cut_short = read_event_stream(_iter_event_stream(sent), 30, 100)
            answer = schemathesis.Response(
                status_code=200,
                headers={"Content-Type": ["text/event-stream"]},
                content=content,
                request=sent.request,
                elapsed=0.1,
                verify=True,
                stream_cut_short=cut_short,
            )
            exchanges.append(to_exchange(answer, TOKEN))
    stalled, whole = exchanges
    assert getattr(sent.request, STALLED, None) is None  # the second stream was not cut
    assert stalled.stream is not None
    assert stalled.stream.broke_at == "stalled after 2 events: no bytes for 0.5 s"
    assert whole.stream is not None and whole.stream.done and whole.stream.broke_at is None
