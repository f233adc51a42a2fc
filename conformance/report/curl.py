"""A ``curl`` command that sends a recorded request again, with the token read from the environment.

Recorded headers carry ``[REDACTED]`` where the token was; the command puts
``$CLOUDFLARE_API_TOKEN`` there, so it can be pasted into a shell as is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conformance.report import _fields as f

TOKEN_VARIABLE = "CLOUDFLARE_API_TOKEN"
REDACTED = "[REDACTED]"

# curl computes these itself; copying them would only risk a wrong length.
_SKIPPED_HEADERS = {"content-length", "host", "connection", "accept-encoding", "transfer-encoding"}


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _with_token(value: str) -> str:
    """Double-quote a value so that only the token variable expands in it."""
    escaped = [
        part.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        for part in value.split(REDACTED)
    ]
    quoted = escaped[0]
    for part in escaped[1:]:
        # Braces only where a letter follows, which would otherwise extend the name.
        variable = (
            "${" + TOKEN_VARIABLE + "}" if part[:1].isalnum() or part[:1] == "_" else "$" + TOKEN_VARIABLE
        )
        quoted += variable + part
    return '"' + quoted + '"'


def curl_command(request: Mapping[str, Any], *, stream: bool = False) -> str:
    """A shell command that repeats ``request``; bodies the runner summarised are read from body.json.

    >>> print(curl_command({"method": "POST", "url": "http://x/run",
    ...     "headers": {"authorization": "Bearer [REDACTED]"}, "body": {"prompt": "hi"}}))
    curl -sS -X POST 'http://x/run' \\
      -H "authorization: Bearer $CLOUDFLARE_API_TOKEN" \\
      --data-binary '{"prompt": "hi"}'
    """
    method = f.text(request, "method", "POST").upper()
    parts = [
        "curl -sS" + (" -N" if stream else "") + f" -X {method} {_single_quoted(f.text(request, 'url'))}"
    ]
    for name, value in f.mapping(request, "headers").items():
        if str(name).lower() in _SKIPPED_HEADERS or not isinstance(value, str):
            continue
        header = f"{name}: {value}"
        parts.append("-H " + (_with_token(header) if REDACTED in header else _single_quoted(header)))
    if f.mapping(request, "body_summary"):
        parts.append("--data-binary @body.json")
    elif request.get("body") is not None:
        body = request["body"]
        # A string body is the raw text the runner sent (not JSON); anything else was sent as JSON.
        raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        parts.append("--data-binary " + _single_quoted(raw))
    return " \\\n  ".join(parts)
