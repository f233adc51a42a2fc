"""SchemaDiff: every keyword added, removed or changed between two versions, by pointer and in words."""

from __future__ import annotations

import copy
from typing import Any

from conformance.contract import SchemaDiff, schema_version

PAGE, LATER = schema_version("page-2024"), schema_version("docs-2025-01")


def test_the_vendored_versions_differ_by_image_and_usage() -> None:
    diff = SchemaDiff.of(PAGE, LATER)
    assert [(c.part, c.kind, c.pointer) for c in diff.changes] == [
        ("input", "removed", "/oneOf/0/properties/image"),
        ("input", "removed", "/oneOf/1/properties/image"),
        ("output", "added", "/oneOf/0/properties/usage"),
    ]
    assert diff.sentences() == [
        "input: `image` removed from both branches (Prompt, Messages)",
        "output: `usage` added to the object branch, not required "
        "(type object; properties prompt_tokens, completion_tokens, total_tokens)",
    ]
    backwards = SchemaDiff.of(LATER, PAGE).sentences()
    assert backwards == [
        "input: `image` added to both branches (Prompt, Messages), not required",
        "output: `usage` removed from the object branch",
    ]
    assert SchemaDiff.of(PAGE, PAGE).changes == ()


def _edited() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    old_in, old_out = PAGE.input_schema(), PAGE.output_schema()
    new_in, new_out = copy.deepcopy(old_in), copy.deepcopy(old_out)
    prompt, messages = new_in["oneOf"][0], new_in["oneOf"][1]
    for branch in (prompt, messages):
        branch["properties"]["top_p"]["maximum"] = 1
    del prompt["properties"]["prompt"]["maxLength"]
    prompt["required"] = ["temperature", "prompt"]
    messages["properties"]["messages"]["items"]["properties"]["content"]["minLength"] = 1
    prompt["properties"]["seed"]["description"] = "Another text."
    new_out["oneOf"][0]["required"] = ["response"]
    return old_in, new_in, old_out, new_out


def test_each_kind_of_keyword_change_is_said_once_with_its_branches() -> None:
    diff = SchemaDiff.between(*_edited())
    assert diff.sentences() == [
        "input: `prompt`: `maxLength` 131072 removed (Prompt branch)",
        "input: `top_p`: `maximum` changed from 2 to 1 (both branches: Prompt, Messages)",
        "input: `seed`: description changed (Prompt branch)",
        "input: `temperature` now required (Prompt branch)",
        "input: `messages[].content`: `minLength` 1 added (Messages branch)",
        "output: `response` now required (object branch)",
    ]
    pointers = {c.pointer for c in diff.changes}
    assert "/oneOf/1/properties/messages/items/properties/content/minLength" in pointers
    assert "/oneOf/0/required" in pointers


def test_a_reordered_required_list_and_our_own_comment_are_no_change() -> None:
    old_in, old_out = PAGE.input_schema(), PAGE.output_schema()
    new_in = copy.deepcopy(old_in)
    new_in["oneOf"][1]["properties"]["messages"]["items"]["required"] = ["content", "role"]
    new_out = {k: v for k, v in old_out.items() if k != "$comment"}
    assert SchemaDiff.between(old_in, new_in, old_out, new_out).changes == ()
