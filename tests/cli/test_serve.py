"""``conformance serve`` run as a user runs it: a process, a port, a token from the environment."""

from __future__ import annotations

import socket

import httpx
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MODEL
from support.processes import serve
from support.reference_server import run_url, tiny_model_path

pytestmark = pytest.mark.slow


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--token", "--model-path", "CONFORMANCE_SERVER_TOKEN"):
        assert option in result.output


def test_without_a_token_auth_is_off_and_says_so() -> None:
    env = {"CONFORMANCE_SERVER_TOKEN": ""}
    with serve("--model-path", str(tiny_model_path()), env=env) as (base_url, lines):
        response = httpx.post(run_url(base_url), json={"prompt": "Hello", "max_tokens": 2}, timeout=30)
        [openai_base] = [
            line.split(": ", 1)[1].strip() for line in lines if line.startswith("OpenAI-compatible")
        ]
        chat = httpx.post(
            openai_base.replace("ACCOUNT_ID", "demo") + "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2},
            timeout=30,
        )
    assert "Auth: OFF" in "".join(lines)
    assert response.status_code == 200
    assert chat.status_code == 200 and chat.json()["object"] == "chat.completion"


def test_token_from_the_environment_is_enforced() -> None:
    with serve(env={"CONFORMANCE_SERVER_TOKEN": "from-env"}) as (base_url, lines):
        refused = httpx.post(run_url(base_url), json={"prompt": "Hello"}, timeout=30)
        accepted = httpx.post(
            run_url(base_url),
            json={"prompt": "Hello", "max_tokens": 2},
            headers={"Authorization": "Bearer from-env"},
            timeout=30,
        )
    assert "Auth: OFF" not in "".join(lines)
    assert refused.status_code == 401 and accepted.status_code == 200


def test_missing_model_path_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--model-path", "/nonexistent/model"])
    assert result.exit_code == 2
    assert "/nonexistent/model" in result.output


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port={port}" in result.output
