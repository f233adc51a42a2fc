"""schemathesis extension points that make our OpenAPI document fuzzable as it is.

Loaded by ``st run`` through ``schemathesis.toml`` (``hooks = "conformance.fuzz.hooks"``)
and by ``conformance fuzz``. Each one answers a pitfall in CONTRACT.md without
touching the vendored input schema:

- ``format: binary`` (the ``image`` string): schemathesis draws bytes for it,
  which a JSON body cannot carry; a text strategy is registered instead.
- Strings near 131072 code points: no generator draws them, so the boundary
  catalogue's maximal bodies are added as explicit examples.
- The path: the model goes on the wire literally (``/ai/run/@hf/thebloke/...``,
  as the seed page's curl sends it), never as schemathesis encodes a path
  parameter (``%40hf%2Fthebloke%2F...``), which the live API refuses; and
  ``CLOUDFLARE_ACCOUNT_ID``, when set, is the account sent. Both in every phase.
- A stream that stalls: schemathesis waits its request timeout between two
  bytes; ``conformance fuzz --idle-timeout`` cuts a silent stream sooner.

``[DONE]`` is declared in the document itself, and redaction of keys that
contain "token" is configured in ``schemathesis.toml``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import schemathesis
from hypothesis import strategies as st

from conformance.contract import MODEL
from conformance.generation import Case, boundary_cases

ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
DEFAULT_ACCOUNT = "X"

# Short printable text: the server reads `image` as a string, never as bytes here.
schemathesis.openapi.format("binary", st.text(alphabet="0123456789abcdef", max_size=64))


def maximal_cases() -> list[Case]:
    """The boundary catalogue's bodies over 64 KiB: lengths no schemathesis generator reaches."""
    return [case for case in boundary_cases() if "large" in case.tags]


_account: list[str] = []  # set by `conformance fuzz` for its run; empty under plain `st run`


def use_account(account: str | None) -> None:
    """Send ``account`` in every path from now on (``None``: back to the environment)."""
    _account[:] = [account] if account else []


def account_id() -> str:
    """The account id sent in every path: the fuzz run's, else ``$CLOUDFLARE_ACCOUNT_ID``, else ``X``."""
    return (_account[0] if _account else None) or os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    # Every request of every phase passes here; the map_* hooks see only what the
    # fuzzing phase draws, not the examples or the coverage phase's values.
    literal_path_parameters(case.operation, case.path_parameters)
    # The account id carries no constraint in the document, so nothing negative is
    # lost by replacing it; any other value would be answered 404 by a server
    # that serves one account.
    if (_account or ACCOUNT_ENV in os.environ) and "account_id" in case.path_parameters:
        case.path_parameters["account_id"] = account_id()
    if _idle:
        hooks = kwargs.setdefault("hooks", {})  # requests' own hooks, passed on to the session
        hooks.setdefault("response", []).append(idle_reads(_idle[0]))


def literal_path_parameters(operation: Any, path_parameters: dict[str, Any]) -> None:
    """Put back, unencoded, each path parameter whose value is its one allowed value (``const``).

    schemathesis percent-encodes every path parameter (``@`` and ``/`` included);
    the model name has to keep its ``@`` and ``/`` on the wire. A value other than
    the allowed one (negative data) keeps schemathesis's encoding.
    """
    for parameter in operation.path_parameters:
        allowed = _only_value(parameter.definition.get("schema", {}))
        value = path_parameters.get(parameter.name)
        if allowed is not None and isinstance(value, str) and unquote(value) == allowed:
            path_parameters[parameter.name] = allowed


def _only_value(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("const"), str):
        return str(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


STALLED = "conformance_stalled_after_s"
"""Set on a request whose event stream went silent for the idle timeout: `bridge` says "stalled"."""

_idle: list[float] = []  # set by `conformance fuzz` for its run; empty under plain `st run`


def use_idle_timeout(seconds: float | None) -> None:
    """Cut event streams silent for ``seconds`` from now on (``None``: schemathesis's own timeout)."""
    _idle[:] = [seconds] if seconds else []


def idle_reads(seconds: float) -> Callable[..., Any]:
    """A requests response hook: an event stream's reads wait at most ``seconds`` for a byte.

    schemathesis reads an event stream with ``raw.read1`` until its request
    timeout passes in total; the socket's timeout bounds each read, so it is
    lowered once the head says the body is a stream. Where the socket cannot be
    reached (another transport), the stream keeps schemathesis's own bounds.
    """

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if "text/event-stream" not in response.headers.get("content-type", ""):
            return response
        sock = _socket_of(response.raw)
        if sock is None:
            return response
        sock.settimeout(seconds)
        read1 = response.raw.read1

        def watched(*a: Any, **k: Any) -> Any:
            from urllib3.exceptions import ReadTimeoutError

            try:
                return read1(*a, **k)
            except ReadTimeoutError:
                setattr(response.request, STALLED, seconds)
                raise

        response.raw.read1 = watched
        return response

    return hook


def _socket_of(raw: Any) -> Any:
    # urllib3 keeps the socket on its connection, unless the server said "Connection: close":
    # then only http.client's response holds it (fp is a buffered SocketIO).
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:
        sock = getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None)
    return sock if hasattr(sock, "settimeout") else None


@schemathesis.hook
def before_add_examples(context: schemathesis.HookContext, examples: list[Any]) -> None:
    operation = context.operation
    if operation is None:
        return
    model = _model_default(operation)
    for case in maximal_cases():
        examples.append(
            operation.Case(
                path_parameters={"account_id": account_id(), "model": model},
                body=case.body,
                media_type="application/json",
            )
        )


def _model_default(operation: Any) -> str:
    for parameter in operation.path_parameters:
        if parameter.name == "model":
            default = _only_value(parameter.definition.get("schema", {}))
            if default is not None:
                return default
    return MODEL
