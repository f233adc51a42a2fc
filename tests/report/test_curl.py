"""The curl line repeats the recorded request, token from the environment, in a real shell."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from conformance.report.curl import curl_command

URL = "http://127.0.0.1:8787/client/v4/accounts/X/ai/run/@hf/thebloke/llama-2-13b-chat-awq"


def shell_argv(command: str) -> list[str]:
    """What curl would receive: the command run by bash with curl replaced by a printer."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = 'curl() { printf "%s\\0" "$@"; }\n' + command
    done = subprocess.run(
        [bash, "-c", script],
        capture_output=True,
        check=True,
        env={"CLOUDFLARE_API_TOKEN": "tok-123", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout.decode().split("\0")[:-1]


def request(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "method": "POST",
        "url": URL,
        "headers": {
            "authorization": "Bearer [REDACTED]",
            "content-type": "application/json",
            "content-length": "17",
        },
        "body": {"prompt": 'it\'s $HOME `date` "quoted" \u2028 😀', "seed": 9999999999, "top_k": 5.0},
    }
    base.update(overrides)
    return base


def test_the_shell_receives_the_body_and_the_token() -> None:
    recorded = request()
    argv = shell_argv(curl_command(recorded))
    assert argv[:4] == ["-sS", "-X", "POST", URL]
    assert argv[4:8] == ["-H", "authorization: Bearer tok-123", "-H", "content-type: application/json"]
    assert argv[8] == "--data-binary"
    assert json.loads(argv[9]) == recorded["body"]
    assert "5.0" in argv[9], "an integer written as 5.0 stays 5.0"


def test_the_token_is_written_as_the_variable() -> None:
    command = curl_command(request())
    assert '-H "authorization: Bearer $CLOUDFLARE_API_TOKEN"' in command
    assert "[REDACTED]" not in command
    assert "content-length" not in command


def test_streams_are_not_buffered() -> None:
    assert curl_command(request(), stream=True).startswith("curl -sS -N -X POST")


def test_requests_without_auth_send_none() -> None:
    argv = shell_argv(curl_command(request(headers={"content-type": "application/json"})))
    assert not any(arg.lower().startswith("authorization") for arg in argv)


def test_raw_text_bodies_are_sent_as_recorded() -> None:
    argv = shell_argv(curl_command(request(body='{"prompt": "unterminated')))
    assert argv[-1] == '{"prompt": "unterminated'


def test_summarised_bodies_are_read_from_a_file() -> None:
    command = curl_command(request(body=None, body_summary={"chars": 131086}))
    assert command.endswith("--data-binary @body.json")


def test_a_token_inside_a_word_keeps_its_braces() -> None:
    argv = shell_argv(curl_command(request(headers={"x-key": "[REDACTED]suffix"}, body=None)))
    assert argv[-1] == "x-key: tok-123suffix"
