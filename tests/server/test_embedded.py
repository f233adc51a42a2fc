"""The embedded reference server: starts on a free loopback port, serves, stops."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from conformance.server.embedded import running_reference_server
from support.reference_server import run_url, tiny_model_path

pytestmark = pytest.mark.slow


def test_serves_the_tiny_model_and_stops_on_exit() -> None:
    with running_reference_server() as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/client/v4")
        reply = httpx.post(run_url(base_url), json={"prompt": "Hello", "max_tokens": 4}, timeout=30)
        assert reply.status_code == 200
        assert reply.json()["success"] is True
        port = urlsplit(base_url).port
    assert port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_token_is_enforced_when_given() -> None:
    with running_reference_server(token="sesame", model_path=str(tiny_model_path())) as base_url:
        body = {"prompt": "Hello", "max_tokens": 1}
        refused = httpx.post(run_url(base_url), json=body, timeout=30)
        accepted = httpx.post(
            run_url(base_url), json=body, headers={"Authorization": "Bearer sesame"}, timeout=30
        )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == 10000
    assert accepted.status_code == 200


def test_accepted_connections_have_nagle_off() -> None:
    # With Nagle on, uvicorn's separate head and body writes wait ~40 ms for a
    # delayed ACK on every response. Asserted on the socket option, not on a
    # timing, so a busy machine cannot make it flake; the latency itself is
    # measured in benchmarks/reference_server.py.
    import socket

    from conformance.server.embedded import listening_socket

    listener = listening_socket("127.0.0.1", 0)
    listener.listen(1)
    with listener, socket.create_connection(listener.getsockname()[:2]) as _client:
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_http_layer_and_cli_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import conformance.server.app, conformance.server.embedded, conformance.cli; "
        "from conformance.server.engines import base, llama2_template, tool_calls; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_missing_model_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from conformance.errors import TargetError
    from conformance.server.embedded import load_default_engine

    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(TargetError, match=r"pip install 'workers-ai-conformance\[model\]'"):
        load_default_engine()


def test_empty_token_means_no_auth() -> None:
    from conformance.server.app import create_app
    from conformance.server.embedded import serving
    from support.reference_server import ScriptedEngine

    with serving(create_app(ScriptedEngine(["x"]), token="")) as origin:
        assert httpx.post(run_url(origin + "/client/v4"), json={"prompt": "x"}).status_code == 200
