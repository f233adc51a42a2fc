"""Clients nobody here wrote, unchanged but for the base URL: the seed page's requests and curl, the SDK."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conformance.contract import MODEL
from support.reference_server import CLIENTS_TOKEN as AUTH_TOKEN

pytestmark = pytest.mark.slow

ACCOUNT_ID = "your-account-id"


def test_seed_page_requests_example(api_base: str) -> None:
    import requests

    # The seed page's example, with api.cloudflare.com replaced by the server's address.
    prompt = "Tell me all about PEP-8"
    response = requests.post(
        f"{api_base}/accounts/{ACCOUNT_ID}/ai/run/@hf/thebloke/llama-2-13b-chat-awq",
        headers={"Authorization": f"Bearer {AUTH_TOKEN}"},
        json={
            "messages": [
                {"role": "system", "content": "You are a friendly assistant"},
                {"role": "user", "content": prompt},
            ]
        },
        timeout=60,
    )
    result = response.json()
    assert response.status_code == 200
    assert result["success"] is True and isinstance(result["result"]["response"], str)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_page_curl_example(api_base: str) -> None:
    # Exactly the page's command line; curl -d sends application/x-www-form-urlencoded.
    command = [
        "curl", "-sS", f"{api_base}/accounts/{ACCOUNT_ID}/ai/run/@hf/thebloke/llama-2-13b-chat-awq",
        "-X", "POST",
        "-H", f"Authorization: Bearer {AUTH_TOKEN}",
        "-d", '{ "messages": [{ "role": "system", "content": "You are a friendly assistant" }, '
              '{ "role": "user", "content": "Why is pizza so good" }]}',
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(completed.stdout)["success"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_streams_server_sent_events(api_base: str) -> None:
    command = [
        "curl", "-sSN", f"{api_base}/accounts/{ACCOUNT_ID}/ai/run/@hf/thebloke/llama-2-13b-chat-awq",
        "-H", f"Authorization: Bearer {AUTH_TOKEN}",
        "-d", '{"prompt": "Hello", "stream": true, "max_tokens": 5}',
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert completed.stdout.startswith("data: {") and completed.stdout.endswith("data: [DONE]\n\n")


def test_cloudflare_sdk_prompt_and_messages(api_base: str) -> None:
    from cloudflare import Cloudflare

    client = Cloudflare(api_token=AUTH_TOKEN, base_url=api_base)
    by_prompt = client.ai.run(MODEL, account_id=ACCOUNT_ID, prompt="Hello", max_tokens=8)
    by_messages = client.ai.run(
        MODEL,
        account_id=ACCOUNT_ID,
        messages=[
            {"role": "system", "content": "You are a friendly assistant"},
            {"role": "user", "content": "What is the origin of the phrase Hello, World"},
        ],
        max_tokens=8,
    )
    for result in (by_prompt, by_messages):
        assert isinstance(result, dict) and isinstance(result["response"], str)
        assert result["usage"]["completion_tokens"] <= 8


def test_cloudflare_sdk_raw_stream(api_base: str) -> None:
    from cloudflare import Cloudflare

    client = Cloudflare(api_token=AUTH_TOKEN, base_url=api_base)
    with client.ai.with_streaming_response.run(
        MODEL, account_id=ACCOUNT_ID, prompt="Hello", stream=True, max_tokens=6
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[-2].removeprefix("data: "))["usage"]["completion_tokens"] == 6


def test_cloudflare_sdk_sees_errors_as_exceptions(api_base: str) -> None:
    import cloudflare
    from cloudflare import Cloudflare

    with pytest.raises(cloudflare.AuthenticationError):
        Cloudflare(api_token="wrong", base_url=api_base).ai.run(MODEL, account_id=ACCOUNT_ID, prompt="x")
    with pytest.raises(cloudflare.BadRequestError, match="5006"):
        Cloudflare(api_token=AUTH_TOKEN, base_url=api_base).ai.run(
            MODEL, account_id=ACCOUNT_ID, prompt="x", temperature=9
        )
