"""Request bytes to a GenerationRequest, or to the error that explains why not."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.contract import ErrorBody, ErrorCode
from conformance.server.engines.base import ChatMessage, ToolSpec
from conformance.server.inputs import ParsedBody, parse_body


def parsed(body: object) -> ParsedBody:
    result = parse_body(json.dumps(body).encode())
    assert isinstance(result, ParsedBody), result
    return result


def rejected(raw: bytes) -> ErrorBody:
    result = parse_body(raw)
    assert isinstance(result, ErrorBody), result
    return result


def test_prompt_body_with_defaults() -> None:
    request = parsed({"prompt": "Hello"}).request
    assert (request.prompt, request.messages, request.raw) == ("Hello", None, False)
    assert (request.max_tokens, request.temperature) == (256, 0.6)
    assert request.seed is request.top_k is request.top_p is None


def test_messages_body_and_stream_flag() -> None:
    result = parsed(
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "u"}], "stream": True}
    )
    assert result.stream is True
    assert result.request.messages == (ChatMessage("system", "S"), ChatMessage("user", "u"))


def test_integers_written_as_floats_and_seeds_beyond_32_bits_are_accepted() -> None:
    request = parsed({"prompt": "x", "top_k": 5.0, "max_tokens": 3.0, "seed": 9999999999}).request
    assert (request.top_k, request.max_tokens, request.seed) == (5, 3, 9999999999)
    assert isinstance(request.top_k, int)


def test_zero_negative_and_huge_max_tokens_are_valid() -> None:
    assert parsed({"prompt": "x", "max_tokens": 0}).request.max_tokens == 0
    assert parsed({"prompt": "x", "max_tokens": -5}).request.max_tokens == -5
    assert parsed({"prompt": "x", "max_tokens": 10**30}).request.max_tokens == 2**31


def test_raw_applies_to_prompts_and_tools_to_messages() -> None:
    assert parsed({"prompt": "x", "raw": True}).request.raw is True
    tool = {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}
    request = parsed({"messages": [{"role": "user", "content": "u"}], "tools": [tool]}).request
    assert request.tools == (ToolSpec("f", "d", {"type": "object", "properties": {}}),)


def test_lone_surrogates_become_replacement_characters() -> None:
    assert parse_body(b'{"prompt": "a\\ud800b"}') == parsed({"prompt": "a\ufffdb"})


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b'{"prompt": "x", "temperature": NaN}', "NaN is not a JSON value"),
        (b'{"prompt": "x", "max_tokens": Infinity}', "Infinity is not a JSON value"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"prompt": "x", "max_tokens": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (
            b'{"prompt": "x", "temperature": 6}',
            "'/temperature' is 6, above the maximum of 5. (maximum at /temperature)",
        ),
        (b'{"prompt": ""}', "minLength at /prompt"),
        (b'{"prompt": "x", "messages": []}', "oneOf at /"),
        (b'{"messages": [{"role": "user"}]}', "required at /messages/0"),
        (b'{"prompt": "x", "seed": 0}', "minimum at /seed"),
        (b'{"prompt": "x", "top_k": 1.5}', "type at /top_k"),
        (b"[]", "type at /"),
        (b"{}", "oneOf at /"),
    ],
)
def test_bad_bodies_get_5006_naming_the_violation(raw: bytes, fragment: str) -> None:
    error = rejected(raw)
    assert error.code is ErrorCode.BAD_INPUT and error.status == 400
    assert error.message.startswith("AiError: Bad input: ")
    assert fragment in error.message


def test_empty_body_gets_3003() -> None:
    for raw in (b"", b"  \n"):
        assert rejected(raw).code is ErrorCode.MISSING_HEADERS_OR_BODY


def test_maximal_prompt_of_emoji_is_valid() -> None:
    assert parsed({"prompt": "\U0001f600" * 131072}).request.prompt == "\U0001f600" * 131072
    assert rejected(json.dumps({"prompt": "\U0001f600" * 131073}).encode()).code is ErrorCode.BAD_INPUT


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_body(raw), ParsedBody | ErrorBody)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_raises(value: object) -> None:
    assert isinstance(parse_body(json.dumps(value).encode()), ParsedBody | ErrorBody)


def test_the_other_branchs_keys_are_junk_in_a_valid_body() -> None:
    prompt = parsed({"prompt": "x", "messages": None, "tools": 5}).request
    assert (prompt.prompt, prompt.messages, prompt.tools) == ("x", None, ())
    chat = parsed({"messages": [{"role": "user", "content": "y"}], "prompt": 5, "raw": "yes"}).request
    assert (chat.prompt, chat.raw) == (None, False)
    assert chat.messages == (ChatMessage("user", "y"),)


def test_the_later_version_refuses_image_as_a_server_built_on_it_would() -> None:
    from conformance.contract import schema_version

    body = b'{"prompt": "Hi", "image": [137, 80]}'
    assert isinstance(parse_body(body), ParsedBody)  # the page's version declares image
    refused = parse_body(body, schema_version("docs-2025-01"))
    assert isinstance(refused, ErrorBody) and refused.code is ErrorCode.BAD_INPUT
    assert refused.message == (
        "AiError: Bad input: 'image' is not an input of this model in schema version docs-2025-01; "
        "remove it (at /image)"
    )
    plain = parse_body(b'{"messages": [{"role": "user", "content": "Hi"}]}', schema_version("docs-2025-01"))
    assert isinstance(plain, ParsedBody) and plain.request.messages is not None


WEATHER_PARAMETERS = {"type": "object", "properties": {}}
WEATHER_TOOL = {"name": "get_weather", "description": "Weather", "parameters": WEATHER_PARAMETERS}


def test_a_flat_tool_with_a_junk_function_member_is_read_as_the_flat_tool() -> None:
    # Found by st run against the reference server: the flat form does not describe
    # `function`, so any value is junk there, and reading it as the nested form was a 500.
    for junk in ({"parameters": True}, {"name": 5}, True, None):
        tools = [{**WEATHER_TOOL, "function": junk}]
        request = parsed({"messages": [{"role": "user", "content": "Weather?"}], "tools": tools}).request
        assert request.tools == (ToolSpec("get_weather", "Weather", WEATHER_TOOL["parameters"]),)


def test_a_nested_tool_with_junk_flat_members_is_read_from_its_function() -> None:
    nested = {"type": "function", "function": WEATHER_TOOL, "name": 7, "parameters": "x"}
    request = parsed({"messages": [{"role": "user", "content": "Weather?"}], "tools": [nested]}).request
    assert request.tools == (ToolSpec("get_weather", "Weather", WEATHER_TOOL["parameters"]),)


@pytest.mark.parametrize("version", ["page-2024", "docs-2025-01"])
def test_every_schema_valid_messages_body_is_parsed(version: str) -> None:
    # hypothesis-jsonschema adds members the schema does not describe, as schemathesis does.
    from hypothesis_jsonschema import from_schema

    from conformance.contract import schema_version

    schema = schema_version(version)
    whole = jsonschema_rs.validator_for(schema.input_schema())

    @settings(max_examples=60, deadline=None, database=None)
    @given(from_schema({**schema.branches()["Messages"], "type": "object"}))
    def parses(body: dict[str, object]) -> None:
        result = parse_body(json.dumps(body).encode(), schema)
        assert isinstance(result, ParsedBody | ErrorBody)  # never an exception
        if isinstance(result, ErrorBody):  # junk that also matches Prompt breaks oneOf; or a dropped input
            assert not whole.is_valid(body) or "not an input of this model" in result.message

    parses()
