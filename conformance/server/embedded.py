"""The reference server in a background thread on a free loopback port: what ``conformance run`` uses.

>>> import httpx
>>> with running_reference_server() as base_url:
...     httpx.post(f"{base_url}/accounts/demo/ai/run/@hf/thebloke/llama-2-13b-chat-awq",
...                json={"prompt": "Hello"}, timeout=60).json()["success"]
True
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from conformance.contract import SchemaVersion
from conformance.errors import TargetError
from conformance.server.app import create_app
from conformance.server.engines.base import Engine
from conformance.transport import Target

_STARTUP_TIMEOUT_S = 60.0


def load_default_engine(model_path: str | None = None, *, device: str = "auto") -> Engine:
    """The transformers engine over ``model_path`` (unquantized or AWQ), or over the tiny model.

    ``device`` is ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (`engines.devices`).
    """
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise TargetError(
            f"The reference server needs torch and transformers ({exc.name} is missing). "
            "Install the model extra: pip install 'workers-ai-conformance[model]'."
        ) from exc
    from conformance.server.engines.transformers_engine import TransformersEngine
    from conformance.server.tiny_model import ensure_tiny_model

    return TransformersEngine.load(model_path or ensure_tiny_model(), device=device)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn, with Nagle's algorithm off.

    uvicorn writes a response's head and body separately; with Nagle on, the
    body waits for the client's delayed ACK and every response costs about
    40 ms on loopback. Accepted sockets inherit TCP_NODELAY on Linux.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def serving(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve any ASGI app on a free port of ``host`` until the block ends; yields ``http://host:port``."""
    sock = listening_socket(host, 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="reference-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the reference server did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextlib.contextmanager
def running_reference_server(
    *,
    token: str | None = None,
    model_path: str | None = None,
    engine: Engine | None = None,
    schema: SchemaVersion | str | None = None,
) -> Iterator[str]:
    """Start the reference server on a free 127.0.0.1 port; yield its API base; stop it on exit.

    The base URL ends in ``/client/v4`` like the real service's, so a client
    only swaps ``https://api.cloudflare.com`` for it. Without ``model_path``
    (or an ``engine``) the tiny embedded model serves; ``schema`` is the
    schema version it answers by (the page's by default).

    >>> with running_reference_server(token="t") as base_url:
    ...     base_url
    'http://127.0.0.1:.../client/v4'
    """
    app = create_app(
        engine if engine is not None else load_default_engine(model_path), token=token, schema=schema
    )
    with serving(app) as origin:
        yield f"{origin}/client/v4"


@contextlib.contextmanager
def serving_target(target: Target, schema: SchemaVersion | str | None = None) -> Iterator[Target]:
    """The embedded ``target`` served: the reference server on a free loopback port, with a fresh token.

    The one way every front end starts the embedded server for a target
    (`Target.embedded_server`); ``schema`` is the version it answers by.

    >>> with serving_target(Target.embedded_server()) as target:
    ...     target.base_url, target.embedded
    ('http://127.0.0.1:.../client/v4', True)
    """
    token = secrets.token_urlsafe(24)
    with running_reference_server(token=token, schema=schema) as base_url:
        yield target.served_at(base_url, token)
