"""Clients nobody here wrote, against the reference server unchanged but for base URL, token and account:
the ``openai`` SDK, LiteLLM's ``cloudflare/`` provider and ``langchain-cloudflare``.

Each drives the real tiny model over real HTTP on loopback. The versions
tested are listed in docs/reference-server.md with the command that runs this
module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.contract import MODEL
from support.reference_server import ACCOUNT
from support.reference_server import CLIENTS_TOKEN as TOKEN

pytestmark = [
    pytest.mark.slow,
    # LiteLLM 1.110's streaming types declare TypedDict items ReadOnly, and pydantic warns
    # that it cannot enforce that while building their schema on the first streamed chunk.
    # Not our code and harmless; any other warning still fails the test.
    pytest.mark.filterwarnings(
        "ignore:Item '.*' on TypedDict class '.*' is using the `ReadOnly` qualifier:UserWarning"
    ),
    # LiteLLM 1.110 reads model_fields and model_computed_fields from an instance when it builds a response
    # from a second completion in one process; pydantic 2.11+ deprecates that access.
    pytest.mark.filterwarnings(
        "ignore:Accessing the 'model_(computed_)?fields' attribute on the instance is deprecated"
        ":pydantic.warnings.PydanticDeprecatedSince211"
    ),
]

QUESTION = [{"role": "user", "content": "Why is pizza so good"}]


@pytest.fixture(scope="module")
def openai_base(api_base: str) -> str:
    # Where Cloudflare's docs point the OpenAI SDK: the account's /ai/v1.
    return f"{api_base}/accounts/{ACCOUNT}/ai/v1"


# -- the openai SDK ------------------------------------------------------------------------------


def test_openai_sdk_chat_completion(openai_base: str) -> None:
    from openai import OpenAI

    with OpenAI(api_key=TOKEN, base_url=openai_base, max_retries=0) as client:
        completion = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=8, seed=7)  # type: ignore[arg-type]
    assert completion.object == "chat.completion" and completion.model == MODEL
    assert isinstance(completion.choices[0].message.content, str)
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage is not None and completion.usage.completion_tokens <= 8


def test_openai_sdk_streamed_chat_completion(openai_base: str) -> None:
    from openai import OpenAI

    with OpenAI(api_key=TOKEN, base_url=openai_base, max_retries=0) as client:
        whole = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=10, seed=7)  # type: ignore[arg-type]
        chunks = list(
            client.chat.completions.create(
                model=MODEL,
                messages=QUESTION,  # type: ignore[arg-type]
                max_tokens=10,
                seed=7,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage is not None and chunks[-1].usage == whole.usage


def test_openai_sdk_legacy_completion(openai_base: str) -> None:
    from openai import OpenAI

    with OpenAI(api_key=TOKEN, base_url=openai_base, max_retries=0) as client:
        completion = client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=5)
    assert completion.object == "text_completion" and isinstance(completion.choices[0].text, str)


def test_openai_sdk_sees_errors_as_exceptions(openai_base: str) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError):
        with openai.OpenAI(api_key="wrong", base_url=openai_base, max_retries=0) as client:
            client.chat.completions.create(model=MODEL, messages=QUESTION)  # type: ignore[arg-type]
    with openai.OpenAI(api_key=TOKEN, base_url=openai_base, max_retries=0) as client:
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
    # The SDK words its message from OpenAI's {"error": ...}; the Workers AI envelope is in .body.
    assert isinstance(raised.value.body, dict) and raised.value.body["errors"][0]["code"] == 5007


# -- LiteLLM's cloudflare/ provider ------------------------------------------------------------------


@pytest.fixture(scope="module")
def litellm_module() -> Iterator[Any]:
    # LiteLLM fetches a model cost map when imported and a Hugging Face tokenizer for
    # "llama" models when counting tokens; this machine has no internet, and its offline
    # switch uses the copies it ships. Set before import, read again on every call.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITELLM_OFFLINE_MODE", "true")
        patch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        yield litellm


def test_litellm_completion(litellm_module: Any, openai_base: str) -> None:
    # api_base: LiteLLM appends /chat/completions to it (its cloudflare/chat/transformation.py).
    response = litellm_module.completion(
        model=f"cloudflare/{MODEL}", messages=QUESTION, api_base=openai_base, api_key=TOKEN, max_tokens=8
    )
    assert isinstance(response.choices[0].message.content, str)
    assert response.usage.completion_tokens <= 8


def test_litellm_streaming(litellm_module: Any, openai_base: str) -> None:
    chunks = list(
        litellm_module.completion(
            model=f"cloudflare/{MODEL}",
            messages=QUESTION,
            api_base=openai_base,
            api_key=TOKEN,
            max_tokens=8,
            seed=11,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    whole = httpx.post(
        f"{openai_base}/chat/completions",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"model": MODEL, "messages": QUESTION, "max_tokens": 8, "seed": 11},
        timeout=60,
    ).json()
    assert streamed == whole["choices"][0]["message"]["content"]
    assert chunks[-1].usage.completion_tokens == whole["usage"]["completion_tokens"]


# -- langchain-cloudflare --------------------------------------------------------------------------


ENDPOINT_FORMATS = ["workers_ai", "openai_compatible"]


@pytest.fixture
def chat_model(api_base: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``ChatCloudflareWorkersAI`` for the parametrized ``endpoint_format``, pointed at the server."""
    from langchain_cloudflare import ChatCloudflareWorkersAI

    model = ChatCloudflareWorkersAI(
        model=MODEL,
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=api_base,
        endpoint_format=request.node.callspec.params["endpoint_format"],
        max_tokens=8,
        temperature=0.0,
    )
    yield model
    # The model opens httpx clients of its own and never closes them.
    model.client.close()


@pytest.mark.parametrize("endpoint_format", ENDPOINT_FORMATS)
def test_langchain_invoke(chat_model: Any, endpoint_format: str) -> None:
    answer = chat_model.invoke("Why is pizza so good")
    assert isinstance(answer.content, str) and answer.content


@pytest.mark.parametrize("endpoint_format", ENDPOINT_FORMATS)
def test_langchain_stream(chat_model: Any, endpoint_format: str) -> None:
    model = chat_model
    streamed = "".join(str(chunk.content) for chunk in model.stream("Why is pizza so good"))
    assert streamed == model.invoke("Why is pizza so good").content


@pytest.mark.parametrize("endpoint_format", ENDPOINT_FORMATS)
def test_langchain_bind_tools_is_refused_as_the_schema_requires(
    chat_model: Any, endpoint_format: str
) -> None:
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    # convert_to_openai_tool gives the property no description; the published schema
    # requires one on every property, so the server refuses the body, as Workers AI does.
    model = chat_model.bind_tools([get_weather])
    with pytest.raises(httpx.HTTPStatusError) as raised:
        model.invoke("Weather in Lisbon?")
    response = raised.value.response
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == 5006 and "description" in error["message"], json.dumps(error)
