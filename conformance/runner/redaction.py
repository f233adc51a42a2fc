"""Taking the run's secrets out of what it writes: from values, never from keys or syntax.

The token reaches a run's output only through what the target sent back (a
server that echoes the Authorization header into its text) and the messages
that quote it; the request headers are recorded as ``Bearer [REDACTED]`` when
sent. Each of those values is redacted before anything is serialized, so a
report stays valid whatever the token is: one character, one that JSON escapes
(``"``, ``\\``, ``é``), a common word such as ``true`` or ``result``.

- Plain text (a message, a header value, a body that is not JSON): every
  occurrence of the token is replaced by ``[REDACTED]``. A token shorter than
  `WHOLE_WORD_BELOW` characters is replaced only where it stands as a word of
  its own (no letter, digit or ``_`` right before or after it): a token ``e``
  is taken out of ``Bearer e``, not out of every word that holds an ``e``.
- JSON text (a body, a stream event): the token is replaced inside each string
  value, found after JSON unescaping; keys, numbers, ``true``/``false``/``null``
  and the punctuation stay as the target sent them, so the text still parses.
- A stream: each ``data:`` line as JSON text or plain text; field names stay.

>>> redact_json_text('{"result": {"response": "you sent Bearer true"}, "success": true}', ["true"])
'{"result": {"response": "you sent Bearer [REDACTED]"}, "success": true}'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from conformance.contract.bounded_json import read_json
from conformance.transport import DONE, REDACTED, Exchange, StreamFacts

# A complete JSON string literal, escapes included (unrolled: linear on long bodies).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_KEY_FOLLOWS = re.compile(r"[ \t\r\n]*:")
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_SURROGATE = re.compile("[\ud800-\udfff]")

WHOLE_WORD_BELOW = 8
"""A secret shorter than this is redacted only where it stands alone: inside a word it is just text.

Real API tokens are 40 characters; a short test token (``e``, ``true``) would
otherwise take every matching letter or word out of every message."""


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``: for plain text, never for JSON text.

    A message may quote a target's JSON text or a Python repr, so each secret is
    also looked for as JSON and repr escape it (``q\\"u`` for ``q"u``). An empty
    secret is skipped (replacing "" would pad every character).

    >>> redact_secrets("Bearer s3cret-t0ken", ["s3cret-t0ken"])
    'Bearer [REDACTED]'
    >>> redact_secrets("Received: the answer (you sent Bearer e)", ["e"])
    'Received: the answer (you sent Bearer [REDACTED])'
    """
    for secret in secrets:
        for form, word in _written_forms(secret):
            if word is None:
                text = text.replace(form, REDACTED)
            elif form in text:
                text = word.sub(REDACTED, text)
    return text


def _found(text: str, secrets: Iterable[str]) -> bool:
    """Whether `redact_secrets` would replace anything in ``text``."""
    return any(
        form in text and (word is None or word.search(text) is not None)
        for secret in secrets
        for form, word in _written_forms(secret)
    )


# Redaction asks for the forms of the same secret thousands of times in a run (each header,
# message and string value): they are a pure function of the secret, so they are made once.
@functools.lru_cache(maxsize=16)
def _written_forms(secret: str) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
    """Each way a message may write ``secret``, escaped forms first, with the pattern that finds it
    as a word of its own (None for a secret long enough to be replaced wherever it stands)."""
    if not secret:
        return ()
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }
    ordered = sorted(forms, key=len, reverse=True)  # an escaped form holds the plain one: it goes first
    if len(secret) >= WHOLE_WORD_BELOW:
        return tuple((form, None) for form in ordered)
    return tuple((form, re.compile(rf"(?<!\w){re.escape(form)}(?!\w)")) for form in ordered)


def redact_json_text(text: str, secrets: Sequence[str]) -> str:
    """JSON text with each secret replaced inside its string values, found after unescaping.

    Keys and everything outside strings are left as they are, so text that
    parsed still parses; only a changed string is written again (as JSON).
    """
    if _unchanged(text, secrets):
        return text
    pieces: list[str] = []
    start = 0
    for found in _STRING.finditer(text):
        if _KEY_FOLLOWS.match(text, found.end()):
            continue
        literal = found.group()
        value = _unescaped(literal)
        if value is None:  # an escape JSON does not have: not JSON, so as plain text
            redacted = '"' + redact_secrets(literal[1:-1], secrets) + '"'
        else:
            scrubbed = redact_secrets(value, secrets)
            redacted = literal if scrubbed == value else _escaped(scrubbed)
        if redacted != literal:
            pieces += [text[start : found.start()], redacted]
            start = found.end()
    return "".join(pieces) + text[start:] if pieces else text


def redact_text(text: str, secrets: Sequence[str]) -> str:
    """``text`` as JSON text when it parses as JSON, else as plain text."""
    if _unchanged(text, secrets):
        return text  # whether it is JSON does not matter: neither way changes it
    try:
        read_json(text)
    except (ValueError, RecursionError):
        return redact_secrets(text, secrets)
    return redact_json_text(text, secrets)


def redact_event_stream(text: str, secrets: Sequence[str]) -> str:
    """An event stream's text: each field's value redacted (``data`` as JSON text when it is), names kept."""
    parts = _LINE_END.split(text)
    for index in range(0, len(parts), 2):  # lines at even indices, their line ends between
        name, colon, value = parts[index].partition(":")
        if not colon:
            continue  # a field name alone: syntax
        redact = redact_text if name == "data" else redact_secrets
        parts[index] = name + colon + redact(value, secrets)
    return "".join(parts)


def redact_body(body: bytes, secrets: Sequence[str], *, event_stream: bool = False) -> bytes:
    """A response body: JSON text when it parses, else an event stream's fields, else plain text."""
    if not any(secrets) or not body:
        return body
    # surrogateescape: bytes that are not UTF-8 come back unchanged.
    text = body.decode("utf-8", errors="surrogateescape")
    if _unchanged(text, secrets):
        return body  # as JSON, as a stream or as text alike: nothing to take out
    try:
        read_json(text)
    except (ValueError, RecursionError):
        redacted = redact_event_stream(text, secrets) if event_stream else redact_secrets(text, secrets)
    else:
        redacted = redact_json_text(text, secrets)
    return body if redacted == text else redacted.encode("utf-8", errors="surrogateescape")


def redact_stream(facts: StreamFacts, secrets: Sequence[str]) -> StreamFacts:
    """Each event's data redacted as `redact_text` does; ``[DONE]`` kept."""
    if not any(secrets):
        return facts
    events = tuple(e if e == DONE else redact_text(e, secrets) for e in facts.events)
    broke_at = None if facts.broke_at is None else redact_secrets(facts.broke_at, secrets)
    return replace(facts, events=events, broke_at=broke_at)


def redact_exchange(exchange: Exchange, secrets: Sequence[str]) -> Exchange:
    """What the target sent (headers, body, stream) and the error, redacted.

    The request (URL, headers, body) is what the toolkit sent: its Authorization
    header is recorded redacted already, and nothing else in it holds the token.
    """
    if not any(secrets):
        return exchange
    streamed = exchange.stream is not None or exchange.content_type == "text/event-stream"
    return replace(
        exchange,
        headers={name: _redact_header(name, value, secrets) for name, value in exchange.headers.items()},
        body=redact_body(exchange.body, secrets, event_stream=streamed),
        stream=None if exchange.stream is None else redact_stream(exchange.stream, secrets),
        error=None if exchange.error is None else redact_secrets(exchange.error, secrets),
        framing=tuple(redact_secrets(fault, secrets) for fault in exchange.framing),
        retried=tuple(redact_exchange(answer, secrets) for answer in exchange.retried),
    )


def _unchanged(text: str, secrets: Sequence[str]) -> bool:
    """Whether every way of redacting ``text`` (JSON, event stream, plain text) leaves it as it is.

    Without a backslash a JSON string's value is its text between the quotes.
    That value, an event field's value and the plain text are all parts of
    ``text`` that stand between non-word characters (quotes, a colon, line ends),
    so a secret found in any of them is found in ``text`` as well. A run's bodies
    almost never hold the secret: this spares parsing each one only to change nothing.
    """
    return not any(secrets) or ("\\" not in text and not _found(text, secrets))


def _redact_header(name: str, value: str, secrets: Sequence[str]) -> str:
    if name != "content-type":
        return redact_secrets(value, secrets)
    # The media type is syntax (``text/event-stream``), which the checks read again on replay;
    # its parameters are values.
    media_type, semicolon, parameters = value.partition(";")
    return media_type + semicolon + redact_secrets(parameters, secrets)


def _unescaped(literal: str) -> str | None:
    if "\\" not in literal:
        return literal[1:-1]
    try:
        value = json.loads(literal, strict=False)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _escaped(value: str) -> str:
    # A lone surrogate (from "\ud800") is written back as its escape, which every JSON reader takes.
    return json.dumps(value, ensure_ascii=_SURROGATE.search(value) is not None)
