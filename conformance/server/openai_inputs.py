"""The OpenAI-compatible route's request bodies: judged, then translated into the run route's terms.

``/ai/v1/chat/completions`` and ``/ai/v1/completions`` take OpenAI's request
shapes. Each body is translated into the Workers AI body it means (messages,
or a raw prompt, and the sampling parameters both APIs share) and judged by
the same vendored input schema as the run route, so both routes accept and
refuse the same values: OpenAI's ``frequency_penalty: -1`` is refused here
because the published schema allows 0..2, and a tool whose parameters lack a
``description`` is refused because the schema requires one.

What OpenAI has and this model cannot do is refused with 5006 and a sentence
saying so (``n`` above 1, ``logprobs``, non-text content parts, JSON modes);
what changes nothing about the text (``user``, ``metadata``, ``store``,
``parallel_tool_calls``) is ignored. ``null`` means "left out", as in
OpenAI's API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contract import ErrorBody, ErrorCode
from conformance.server.engines.base import GenerationRequest
from conformance.server.inputs import bad_input, decode_body, judge_body

MAX_STOP_SEQUENCES = 4
"""OpenAI's limit on ``stop``."""

_SHARED = (
    "temperature",
    "top_p",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "stream",
    # Workers AI's own parameters: not OpenAI's, but the real route's schema is the model's.
    "top_k",
    "repetition_penalty",
)

_TEXT_ONLY = "this server's model reads text only"


@dataclass(frozen=True)
class OpenAIRequest:
    """A judged OpenAI body: what to generate, and how to frame and cut the answer."""

    request: GenerationRequest
    stream: bool
    include_usage: bool
    stops: tuple[str, ...]


def parse_chat_body(raw: bytes, model: str) -> OpenAIRequest | ErrorBody:
    """Judge a ``/v1/chat/completions`` body for the served ``model``; never raises.

    >>> parse_chat_body(b'{"model": "@hf/x", "messages": [], "n": 2}', "@hf/x").message
    "AiError: Bad input: '/n' is 2: this server returns one choice per request; send n: 1 or leave it out."
    """
    body = _object(raw, "a JSON object with 'model' and 'messages'", model)
    if isinstance(body, ErrorBody):
        return body
    refused = _refused(body)
    if refused is not None:
        return refused
    messages = body.get("messages")
    if isinstance(messages, list):
        translated_messages: list[Any] = []
        for index, message in enumerate(messages):
            translated = _message(message, f"/messages/{index}")
            if isinstance(translated, ErrorBody):
                return translated
            translated_messages.append(translated)
        messages = translated_messages
    workers: dict[str, Any] = {"messages": messages}
    tools = body.get("tools")
    if tools is not None and body.get("tool_choice") != "none":
        workers["tools"] = tools
    return _judged(body, workers)


def parse_completion_body(raw: bytes, model: str) -> OpenAIRequest | ErrorBody:
    """Judge a legacy ``/v1/completions`` body: its ``prompt`` is continued as raw text, no template."""
    body = _object(raw, "a JSON object with 'model' and 'prompt'", model)
    if isinstance(body, ErrorBody):
        return body
    refused = _refused(body)
    if refused is not None:
        return refused
    if body.get("echo") is True:
        return bad_input("'/echo' is true: this server does not echo the prompt; leave it out.")
    if body.get("suffix") is not None:
        return bad_input("'/suffix' is set: this server does not insert text; leave it out.")
    if body.get("best_of") not in (None, 1):
        return bad_input(f"'/best_of' is {_shown(body['best_of'])}: this server samples one answer.")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]  # OpenAI's API takes a batch of prompts; one is the same request
    elif isinstance(prompt, list):
        return bad_input(f"'/prompt' holds {len(prompt)} prompts: this server answers one per request.")
    return _judged(body, {"prompt": prompt, "raw": True})


def _object(raw: bytes, wanted: str, model: str) -> dict[str, Any] | ErrorBody:
    body = decode_body(raw, wanted=wanted)
    if isinstance(body, ErrorBody):
        return body
    if not isinstance(body, dict):
        return bad_input(f"the body is a JSON {_json_type(body)}; send {wanted}.")
    requested = body.get("model")
    if not isinstance(requested, str):
        return bad_input(f"'/model' is {_shown(requested)}: name the served model, {model}.")
    if requested != model:
        return ErrorBody(
            ErrorCode.NO_SUCH_MODEL, f"No such model {requested} or task. This server runs {model}."
        )
    return body


def _refused(body: Mapping[str, Any]) -> ErrorBody | None:
    """Parameters this server cannot honour, refused rather than silently dropped."""
    if body.get("n") not in (None, 1):
        return bad_input(
            f"'/n' is {_shown(body['n'])}: this server returns one choice per request; "
            "send n: 1 or leave it out."
        )
    logprobs = body.get("logprobs")
    if logprobs not in (None, False) or body.get("top_logprobs") is not None:
        return bad_input("'/logprobs' is set: this server does not report log probabilities; leave it out.")
    if body.get("logit_bias"):
        return bad_input("'/logit_bias' is set: this server does not bias tokens; leave it out.")
    response_format = body.get("response_format")
    if response_format is not None and response_format != {"type": "text"}:
        return bad_input(
            f"'/response_format' is {_shown(response_format)}: this server generates free text only; "
            'send {"type": "text"} or leave it out.'
        )
    options = body.get("stream_options")
    if options is not None and not (
        isinstance(options, dict) and options.get("include_usage") in (None, True, False)
    ):
        return bad_input(
            f"'/stream_options' is {_shown(options)}: expected an object with a boolean include_usage."
        )
    return _stop_error(body.get("stop"))


def _stop_error(stop: object) -> ErrorBody | None:
    if stop is None or isinstance(stop, str):
        return None
    if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
        return bad_input(f"'/stop' is {_shown(stop)}: expected a string or an array of strings.")
    if len(stop) > MAX_STOP_SEQUENCES:
        return bad_input(f"'/stop' holds {len(stop)} sequences; at most {MAX_STOP_SEQUENCES} are allowed.")
    return None


def _message(message: object, where: str) -> object:
    """One OpenAI message as a Workers AI ``{role, content}``; anything else is left for the schema."""
    if not isinstance(message, dict):
        return message
    translated = dict(message)
    if message.get("role") == "developer":
        translated["role"] = "system"  # OpenAI's newer name for the same turn
    content = message.get("content")
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            if not (
                isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
            ):
                kind = part.get("type") if isinstance(part, dict) else _json_type(part)
                return bad_input(f"'{where}/content/{index}' is a {_shown(kind)} part: {_TEXT_ONLY}.")
            texts.append(part["text"])
        content = "".join(texts)
    calls = message.get("tool_calls")
    if content is None and (calls or message.get("role") == "assistant"):
        content = ""  # an assistant turn that only called tools
    if isinstance(calls, list) and calls:
        # The model sees its earlier calls in the form the tool prompt asks it to answer in.
        content = "\n".join([str(content or ""), *(_call_text(call) for call in calls)]).strip()
    translated["content"] = content
    translated.pop("tool_calls", None)
    return translated


def _call_text(call: object) -> str:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        return json.dumps(call)
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    return json.dumps({"name": function.get("name"), "arguments": arguments})


def _judged(body: Mapping[str, Any], workers: dict[str, Any]) -> OpenAIRequest | ErrorBody:
    for key in _SHARED:
        if body.get(key) is not None:
            workers[key] = body[key]
    # OpenAI's newer name wins where a client sends both.
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        workers["max_tokens"] = max_tokens
    judged = judge_body(workers)
    if isinstance(judged, ErrorBody):
        return judged
    stop = body.get("stop")
    options = body.get("stream_options") or {}
    return OpenAIRequest(
        request=judged.request,
        stream=judged.stream,
        include_usage=judged.stream and options.get("include_usage") is True,
        stops=(stop,) if isinstance(stop, str) else tuple(stop or ()),
    )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
