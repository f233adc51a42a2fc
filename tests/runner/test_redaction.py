"""Redaction: the token taken out of values that the target sent, never out of keys or JSON syntax."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.runner import Failure, redaction, save_baseline
from conformance.runner.redaction import (
    redact_body,
    redact_event_stream,
    redact_exchange,
    redact_json_text,
    redact_secrets,
    redact_text,
)
from conformance.transport import Exchange, StreamFacts

ECHO = {"result": {"response": "alpha (you sent Bearer {})"}, "success": True, "errors": [], "messages": []}


def echoed(token: str, **dumps: bool) -> str:
    """The fake server's echo_auth body, written as Python's json writes it (ASCII escapes by default)."""
    body = json.loads(json.dumps(ECHO).replace("{}", "TOKEN"))
    body["result"]["response"] = body["result"]["response"].replace("TOKEN", token)
    return json.dumps(body, **dumps)


def stands_alone(token: str, text: str) -> bool:
    """Whether ``token`` is in ``text`` as a word of its own (how a short token is found and redacted)."""
    return re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text) is not None


@pytest.mark.parametrize("token", ["e", 'q"u\\o', "é", "true", "result", "null", "1"])
def test_an_echoed_token_leaves_json_that_parses_with_keys_and_literals_kept(token: str) -> None:
    for text in (echoed(token), echoed(token, ensure_ascii=False)):
        redacted = json.loads(redact_json_text(text, [token]))
        assert not stands_alone(token, redacted["result"]["response"])
        assert redacted["result"]["response"].endswith("[REDACTED])")
        assert set(redacted) == {"result", "success", "errors", "messages"}
        assert redacted["success"] is True and redacted["errors"] == []


def test_only_changed_strings_are_written_again() -> None:
    text = '{"a":"caf\\u00e9 \\/ x",  "b" : "tok"}'
    assert redact_json_text(text, ["tok"]) == '{"a":"caf\\u00e9 \\/ x",  "b" : "[REDACTED]"}'
    assert redact_json_text(text, ["nothing"]) == text


def test_a_lone_surrogate_in_a_redacted_string_stays_an_escape() -> None:
    redacted = redact_json_text('["\\ud800 tok"]', ["tok"])
    assert redacted == '["\\ud800 [REDACTED]"]' and json.loads(redacted) == ["\ud800 [REDACTED]"]


def test_text_that_is_not_json_is_redacted_as_plain_text() -> None:
    assert redact_text("Forbidden for Bearer true", ["true"]) == "Forbidden for Bearer [REDACTED]"
    assert redact_text('{"cut": "Bearer tok', ["tok"]) == '{"cut": "Bearer [REDACTED]'


def test_an_event_stream_keeps_its_field_names_and_done() -> None:
    text = ': hi data\r\n\r\ndata: {"response":"data"}\n\nevent: data\ndata\ndata: [DONE]\n\n'
    assert redact_event_stream(text, ["data"]) == (
        ': hi [REDACTED]\r\n\r\ndata: {"response":"[REDACTED]"}\n\nevent: [REDACTED]\ndata\ndata: [DONE]\n\n'
    )


def test_a_body_that_is_not_utf8_keeps_its_bytes() -> None:
    body = b"\xff\xfe tok \xc3"
    assert redact_body(body, ["tok"]) == b"\xff\xfe [REDACTED] \xc3"


def test_an_exchange_keeps_the_request_and_the_media_type() -> None:
    exchange = Exchange(
        method="POST",
        url="http://127.0.0.1:9/client/v4/accounts/e/ai/run/m",
        request_headers={"authorization": "Bearer [REDACTED]", "content-type": "application/json"},
        request_body={"prompt": "hello"},
        status=200,
        headers={"content-type": "text/event-stream; note=e", "x-echo": "Bearer e"},
        body=b'data: {"response":"hello e"}\n\ndata: [DONE]\n\n',
        stream=StreamFacts(events=('{"response":"hello e"}', "[DONE]"), done=True, broke_at="hello e"),
        error="ReadError: hello e",
    )
    redacted = redact_exchange(exchange, ["e"])
    assert redacted.url == exchange.url and redacted.request_body == exchange.request_body
    assert redacted.request_headers == exchange.request_headers
    # A one-character token is taken out where it stands alone, not out of "Bearer" or "hello".
    assert redacted.headers["x-echo"] == "Bearer [REDACTED]"
    assert redacted.headers["content-type"] == "text/event-stream; note=[REDACTED]"
    assert redacted.content_type == "text/event-stream"  # read again by a replay
    assert redacted.body == b'data: {"response":"hello [REDACTED]"}\n\ndata: [DONE]\n\n'
    assert redacted.stream is not None
    assert redacted.stream.events == ('{"response":"hello [REDACTED]"}', "[DONE]")
    assert redacted.stream.broke_at == "hello [REDACTED]" and redacted.error == "ReadError: hello [REDACTED]"
    assert redact_exchange(exchange, []) is exchange


def test_a_token_of_eight_characters_or_more_is_taken_out_wherever_it_stands() -> None:
    token = "s3cr3t-t0k3n"
    assert redact_secrets(f"x{token}y and Bearer {token}", [token]) == "x[REDACTED]y and Bearer [REDACTED]"
    # A short one inside a word stays: it is just text there.
    assert redact_secrets("Bearer true; untrue", ["true"]) == "Bearer [REDACTED]; untrue"


def test_an_empty_secret_is_skipped() -> None:
    assert redact_secrets("a tok b", ["", "tok"]) == "a [REDACTED] b"
    assert redact_json_text('"x"', [""]) == '"x"'


def test_a_baseline_redacts_messages_and_keeps_its_ids(tmp_path: Path) -> None:
    failure = Failure("usage_consistent", "valid/true", "Received: true total_tokens", "must")
    save_baseline(tmp_path / "b.json", [failure], redact=lambda text: redact_secrets(text, ["true"]))
    (entry,) = json.loads((tmp_path / "b.json").read_text())["accepted"]
    assert entry["check"] == "usage_consistent" and entry["case_id"] == "valid/true"
    assert entry["message"] == "Received: [REDACTED] total_tokens"


# Texts built from the characters redaction turns on: quotes, escapes, colons, line ends, words.
_SYNTAX = ['"', "\\", "\\u0074", "\\n", ":", "\n", "\r\n", " ", "{", "}", "[", "]", ","]
_WORDS = ["t", "é", "ta", "data: ", "true"]
_texts = st.lists(st.sampled_from(_SYNTAX + _WORDS), max_size=30).map("".join)
_json_texts = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='t é"\\:\n\u2028a', max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["t", "a", "data"]), inner),
    max_leaves=8,
).flatmap(lambda value: st.sampled_from([json.dumps(value), json.dumps(value, ensure_ascii=False)]))
_secrets = st.sampled_from(["t", "é", 'a"', "\\", "ta", "data-secret-t"])


@settings(max_examples=400, deadline=None)
@given(text=_texts | _json_texts, secret=_secrets)
def test_skipping_a_text_without_the_secret_changes_no_outcome(text: str, secret: str) -> None:
    secrets = [secret]
    fast = (
        redact_text(text, secrets),
        redact_json_text(text, secrets),
        redact_body(text.encode(), secrets),
        redact_body(text.encode(), secrets, event_stream=True),
    )
    # The same redaction with the shortcut taken out: every text parsed and walked.
    with mock.patch.object(redaction, "_unchanged", lambda text, secrets: not any(secrets)):
        slow = (
            redact_text(text, secrets),
            redact_json_text(text, secrets),
            redact_body(text.encode(), secrets),
            redact_body(text.encode(), secrets, event_stream=True),
        )
    assert fast == slow
