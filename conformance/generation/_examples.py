"""Small valid values that the built catalogues start from and vary one thing at a time."""

from __future__ import annotations

import copy
from typing import Any

Body = dict[str, Any]

QUICK_TOKENS = 16
"""``max_tokens`` of built cases that do not test it: a real model answers in a moment."""

PROMPT = "Say hello in one word."

MESSAGE = {"role": "user", "content": PROMPT}

TOOL_FLAT: Body = {
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name, e.g. Lisbon."}},
        "required": ["city"],
    },
}
"""A ``tools`` item of the first variant: ``{name, description, parameters}``."""

TOOL_OPENAI: Body = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string", "description": "IANA zone, e.g. Europe/Lisbon."}},
            "required": ["zone"],
        },
    },
}
"""A ``tools`` item of the second, OpenAI-style variant: ``{type, function: {...}}``."""

FUNCTION: Body = {"name": "add", "code": "export default (a, b) => a + b;"}
"""A ``functions`` item: ``{name, code}``."""

IMAGE_BYTES = [137, 80, 78, 71, 13, 10, 26, 10]  # the PNG signature
IMAGE_STRING = "iVBORw0KGgo="  # the same bytes, base64


def prompt_body(**fields: Any) -> Body:
    """A quick Prompt-branch body with ``fields`` added or replaced."""
    return {"prompt": PROMPT, "max_tokens": QUICK_TOKENS, **copy.deepcopy(fields)}


def messages_body(**fields: Any) -> Body:
    """A quick Messages-branch body with ``fields`` added or replaced."""
    return {"messages": [dict(MESSAGE)], "max_tokens": QUICK_TOKENS, **copy.deepcopy(fields)}
