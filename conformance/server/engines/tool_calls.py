"""Tool calling for models without a native tool format: a prompt that offers the tools, a parser.

Llama-2-chat has no tool-call tokens. When a request offers tools, the
engine appends their descriptions to the system prompt and asks for a reply
that is only a JSON object ``{"name": ..., "arguments": {...}}``. After
generation, the first JSON object in the text that names an offered tool and
carries an object of arguments becomes a ``tool_calls`` entry. A model that
does not follow the instruction (the random tiny model never does) simply
produces no tool call: the response text is returned as usual.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from conformance.server.engines.base import ToolCall, ToolSpec

FlatTest = Callable[[Mapping[str, Any]], bool]
"""Whether a tool is of the flat form (``name``, ``description``, ``parameters``)."""


def tool_specs(
    tools: Sequence[Mapping[str, Any]], *, is_flat: FlatTest | None = None
) -> tuple[ToolSpec, ...]:
    """Flatten the schema's two tool forms (flat, or ``{type, function: {...}}``) into `ToolSpec`.

    ``is_flat`` says which form a tool is. A valid tool matches exactly one
    form, but may carry the other form's keys as junk: a flat tool with an
    extra ``function`` member is still flat, so the caller that knows the
    schema should say. Without it, a tool whose ``function`` is an object is
    taken as the nested form. Fields of a shape the form does not allow are
    treated as absent.
    """
    specs: list[ToolSpec] = []
    for tool in tools:
        flat = is_flat(tool) if is_flat is not None else not isinstance(tool.get("function"), Mapping)
        body = tool if flat else tool.get("function")
        if not isinstance(body, Mapping):
            continue  # not a tool of either form; the schema would have refused it
        parameters = body.get("parameters")
        specs.append(
            ToolSpec(
                name=str(body.get("name", "")),
                description=str(body.get("description", "")),
                parameters=dict(parameters) if isinstance(parameters, Mapping) else {},
            )
        )
    return tuple(specs)


def tools_instruction(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt text that offers ``tools`` and says how to call one."""
    lines = [
        "You can call the following tools. To call one, reply with only a JSON object of the form "
        '{"name": "<tool name>", "arguments": {<arguments>}} and nothing else.',
    ]
    for tool in tools:
        schema = json.dumps(dict(tool.parameters), sort_keys=True, ensure_ascii=False)
        lines.append(f"- {tool.name}: {tool.description} Parameters: {schema}")
    return "\n".join(lines)


def parse_tool_calls(text: str, tools: Sequence[ToolSpec]) -> tuple[ToolCall, ...]:
    """Tool calls found in generated text: each JSON object naming an offered tool.

    >>> spec = ToolSpec("get_weather", "Weather now", {"type": "object", "properties": {}})
    >>> parse_tool_calls('{"name": "get_weather", "arguments": {"city": "Lisbon"}}', [spec])
    (ToolCall(name='get_weather', arguments={'city': 'Lisbon'}),)
    """
    names = {tool.name for tool in tools}
    if not names:
        return ()
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    start = text.find("{")
    while start >= 0:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and value.get("name") in names:
            arguments = value.get("arguments", value.get("parameters", {}))
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except ValueError:
                    arguments = None
            if isinstance(arguments, dict):
                calls.append(ToolCall(name=str(value["name"]), arguments=arguments))
        start = text.find("{", end)
    return tuple(calls)
