"""Hypothesis strategies for request bodies that the input schema accepts.

Leaves (strings, numbers, booleans, open objects) come from hypothesis-jsonschema's
``from_schema`` applied to the vendored schema's own sub-schemas, so bounds are
never copied by hand. Objects with declared properties are assembled here
instead: ``from_schema`` on the whole input schema pads bodies with random
extra keys and leaves most optional fields out (in 200 draws it sent ``tools``
once), so a suite built on it would hardly ever exercise tools, functions or
images. Here every optional field is present in a fair share of draws
(20% to 50% of its branch's bodies; tests/generation/test_strategies.py measures them).

>>> from hypothesis import given
>>> @given(valid_requests())
... def test_server_accepts(body): ...
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from hypothesis import strategies as st

from conformance.contract import SchemaVersion, schema_version

Body = dict[str, Any]

ROLES = ("system", "user", "assistant", "tool")
"""The role strings the schema's description names; ``role`` itself is any string."""

MAX_DRAWN_TOKENS = 64
"""Upper end of drawn ``max_tokens``.

The schema leaves ``max_tokens`` unbounded, but every drawn case may reach a
real model; small values keep a run fast. Zero, negatives and integral floats
are drawn too; the extremes live in the boundary catalogue.
"""

MAX_DRAWN_MESSAGES = 6


def _binary_strings() -> st.SearchStrategy[str]:
    # `format: binary` is unknown to hypothesis-jsonschema (it would draw any
    # text) and schemathesis crashes on it. An image sent as a string is its
    # bytes, base64-encoded, as clients send it in JSON.
    return st.binary(max_size=48).map(lambda raw: base64.b64encode(raw).decode("ascii"))


def _leaf(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    # Imported here, not at module level: importing hypothesis_jsonschema makes
    # Hypothesis write its Unicode cache to ./.hypothesis, and importing the
    # toolkit must not touch the user's current directory.
    from hypothesis_jsonschema import from_schema

    return from_schema(dict(schema), custom_formats={"binary": _binary_strings()})


Version = SchemaVersion | str | None
"""A schema version, by value or name; None is the page's (the default)."""


def _property(version: Version, branch: str, *path: str) -> dict[str, Any]:
    """The sub-schema at ``properties/<path[0]>/...`` of an input branch, read from the vendored file."""
    node: dict[str, Any] = schema_version(version).branches()[branch]
    for key in path:
        node = node["properties"][key] if key != "items" else node["items"]
    return node


def _integers(schema: Mapping[str, Any]) -> st.SearchStrategy[int | float]:
    # JSON Schema's integer admits 5.0; a share of integral floats catches
    # servers that insist on an int type.
    whole = _leaf(schema)
    return st.one_of(whole, whole.map(float))


def _objects(
    schema: Mapping[str, Any], fields: Mapping[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[Body]:
    """Objects with exactly the declared properties: required always, each optional one sometimes.

    ``fields`` overrides the strategy of named properties; the others come
    from their sub-schema.
    """
    fields = fields or {}
    required = set(schema.get("required", ()))
    strategies = {
        name: fields[name] if name in fields else _schema_strategy(sub)
        for name, sub in schema["properties"].items()
    }
    return st.fixed_dictionaries(
        {name: s for name, s in strategies.items() if name in required},
        optional={name: s for name, s in strategies.items() if name not in required},
    )


def _schema_strategy(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    if "oneOf" in schema:
        base = {k: v for k, v in schema.items() if k != "oneOf"}
        return st.one_of([_schema_strategy({**base, **branch}) for branch in schema["oneOf"]])
    if schema.get("type") == "integer":
        return _integers(schema)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return st.lists(_schema_strategy(schema["items"]), max_size=4)
    if "properties" in schema:
        return _objects(schema)
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        # A map of names to declared values (a tool's parameters). from_schema
        # also pads each value with random keys and takes ~40 ms a draw.
        names = _leaf({"type": "string", "minLength": 1})
        return st.dictionaries(names, _schema_strategy(schema["additionalProperties"]), max_size=3)
    return _leaf(schema)


def prompts(schema: Version = None) -> st.SearchStrategy[str]:
    """Valid ``prompt`` strings (1..131072 code points; drawn ones stay short).

    Hypothesis cannot draw strings near the 131072 limit; the boundary
    catalogue builds those.
    """
    return _leaf(_property(schema, "Prompt", "prompt"))


def roles(schema: Version = None) -> st.SearchStrategy[str]:
    """Role strings: mostly the four the schema names, sometimes any string (the schema allows it)."""
    return st.one_of(
        st.sampled_from(ROLES), _leaf(_property(schema, "Messages", "messages", "items", "role"))
    )


def message_contents(schema: Version = None) -> st.SearchStrategy[str]:
    """Valid message ``content`` strings (0..131072 code points; drawn ones stay short)."""
    return _leaf(_property(schema, "Messages", "messages", "items", "content"))


def messages(schema: Version = None) -> st.SearchStrategy[list[Body]]:
    """Valid ``messages`` arrays: 0 to 6 ``{role, content}`` objects.

    >>> from hypothesis import find
    >>> find(messages(), lambda drawn: len(drawn) == 2)  # the simplest array of two
    [{'role': 'system', 'content': ''}, {'role': 'system', 'content': ''}]
    """
    item = st.fixed_dictionaries({"role": roles(schema), "content": message_contents(schema)})
    return st.lists(item, max_size=MAX_DRAWN_MESSAGES)


def tool_definitions(schema: Version = None) -> st.SearchStrategy[Body]:
    """One ``tools`` item: the flat variant ``{name, description, parameters}`` or the
    OpenAI-style ``{type, function: {...}}``, in about equal shares.

    Neither variant carries the other's required keys, so every draw matches
    exactly one branch of the item's ``oneOf``.
    """
    flat, openai = _property(schema, "Messages", "tools", "items")["oneOf"]
    return st.one_of(_objects(flat), _objects(openai))


def tools(schema: Version = None) -> st.SearchStrategy[list[Body]]:
    """Valid ``tools`` arrays of up to three definitions, variants mixed."""
    return st.lists(tool_definitions(schema), max_size=3)


def functions(schema: Version = None) -> st.SearchStrategy[list[Body]]:
    """Valid ``functions`` arrays: ``{name, code}`` objects."""
    return st.lists(_objects(_property(schema, "Messages", "functions", "items")), max_size=3)


def images(schema: Version = None) -> st.SearchStrategy[list[int | float] | str]:
    """Valid ``image`` values: an array of numbers or a ``format: binary`` string, in equal shares.

    Arrays are mostly bytes (0..255, as the schema's description asks) and
    sometimes any JSON number (as its ``type`` allows); strings are base64.
    """
    byte_arrays = st.lists(st.integers(min_value=0, max_value=255), max_size=64)
    number_arrays = _leaf(_property(schema, "Prompt", "image")["oneOf"][0])
    return st.one_of(st.one_of(byte_arrays, number_arrays), _binary_strings())


def max_tokens() -> st.SearchStrategy[int | float]:
    """``max_tokens`` kept small (see MAX_DRAWN_TOKENS): -2..64, a share as integral floats."""
    return _integers({"type": "integer", "minimum": -2, "maximum": MAX_DRAWN_TOKENS})


_Build = Callable[[SchemaVersion], st.SearchStrategy[Any]]


def prompt_requests(schema: Version = None) -> st.SearchStrategy[Body]:
    """Bodies of the ``Prompt`` branch with any mix of the optional fields its version declares."""
    return _prompt_requests(schema_version(schema))


@cache
def _prompt_requests(version: SchemaVersion) -> st.SearchStrategy[Body]:
    fields: dict[str, _Build] = {"image": images, "max_tokens": lambda _: max_tokens()}
    return _objects(version.branches()["Prompt"], _declared(version, "Prompt", fields))


def messages_requests(schema: Version = None) -> st.SearchStrategy[Body]:
    """Bodies of the ``Messages`` branch with any mix of the optional fields its version declares."""
    return _messages_requests(schema_version(schema))


@cache
def _messages_requests(version: SchemaVersion) -> st.SearchStrategy[Body]:
    fields: dict[str, _Build] = {
        "messages": messages,
        "tools": tools,
        "functions": functions,
        "image": images,
        "max_tokens": lambda _: max_tokens(),
    }
    return _objects(version.branches()["Messages"], _declared(version, "Messages", fields))


def _declared(
    version: SchemaVersion,
    branch: str,
    fields: Mapping[str, _Build],
) -> dict[str, st.SearchStrategy[Any]]:
    # Built only for the fields the version declares: images() needs the `image` sub-schema.
    declared = version.branches()[branch]["properties"]
    return {name: build(version) for name, build in fields.items() if name in declared}


def valid_requests(schema: Version = None) -> st.SearchStrategy[Body]:
    """Request bodies a schema version's input schema accepts: both ``oneOf`` branches in equal shares.

    Every optional field of each branch appears in 20% to 50% of that branch's
    draws (tests/generation/test_strategies.py measures the shares). Strings
    stay short; ``max_tokens`` stays in -2..64. ``schema`` names the version
    (``"docs-2025-01"``); the page's by default.

    >>> from hypothesis import given
    >>> @given(valid_requests())
    ... def test_accepted(body):
    ...     assert request_validator().is_valid(body)
    """
    version = schema_version(schema)
    return st.one_of(_prompt_requests(version), _messages_requests(version))
