"""Tool offers in the prompt and tool calls parsed out of generated text."""

from __future__ import annotations

from conformance.server.engines.base import ToolCall, ToolSpec
from conformance.server.engines.tool_calls import parse_tool_calls, tool_specs, tools_instruction

WEATHER = ToolSpec("get_weather", "Current weather", {"type": "object", "properties": {}})


def test_both_schema_forms_flatten_to_the_same_spec() -> None:
    flat = {"name": "get_weather", "description": "Current weather", "parameters": {"type": "object"}}
    nested = {"type": "function", "function": flat}
    assert tool_specs([flat]) == tool_specs([nested])
    assert tool_specs([flat])[0].name == "get_weather"


def test_instruction_names_every_tool_and_the_reply_format() -> None:
    text = tools_instruction([WEATHER])
    assert "get_weather: Current weather" in text
    assert '{"name": "<tool name>", "arguments": {<arguments>}}' in text


def test_json_call_of_an_offered_tool_is_parsed_from_surrounding_text() -> None:
    text = 'Sure. {"name": "get_weather", "arguments": {"city": "Lisbon"}} Done.'
    assert parse_tool_calls(text, [WEATHER]) == (ToolCall("get_weather", {"city": "Lisbon"}),)


def test_arguments_given_as_a_json_string_or_as_parameters_are_accepted() -> None:
    as_string = '{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}'
    as_parameters = '{"name": "get_weather", "parameters": {"city": "Oslo"}}'
    expected = (ToolCall("get_weather", {"city": "Oslo"}),)
    assert parse_tool_calls(as_string, [WEATHER]) == expected
    assert parse_tool_calls(as_parameters, [WEATHER]) == expected


def test_unknown_tools_broken_json_and_no_tools_give_no_calls() -> None:
    assert parse_tool_calls('{"name": "launch_rockets", "arguments": {}}', [WEATHER]) == ()
    assert parse_tool_calls('{"name": "get_weather", "arguments": {', [WEATHER]) == ()
    assert parse_tool_calls('{"name": "get_weather", "arguments": 3}', [WEATHER]) == ()
    assert parse_tool_calls('{"name": "get_weather", "arguments": {}}', []) == ()


def test_several_calls_are_all_returned_in_order() -> None:
    text = '{"name": "get_weather", "arguments": {"city": "A"}}\n{"name": "get_weather", "arguments": {}}'
    assert [call.arguments for call in parse_tool_calls(text, [WEATHER])] == [{"city": "A"}, {}]
