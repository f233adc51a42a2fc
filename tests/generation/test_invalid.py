"""The invalid catalogue: each case breaks exactly the constraint it names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.contract import (
    MAX_CONTENT_CHARS,
    SEED_MAX,
    explain,
    load_schema,
    request_validator,
    schema_version,
)
from conformance.generation import CaseKind, Outcome, invalid_cases
from conformance.generation.cases import Case

CASES = invalid_cases()
BY_ID = {case.id: case for case in CASES}
CONSTRAINTS = ("type", "minimum", "maximum", "minLength", "maxLength", "required", "oneOf")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_case_fails_both_back_ends_for_the_stated_reason(case: Case) -> None:
    validator = request_validator()
    assert not validator.is_valid(case.body)
    assert not validator.is_valid_reference(case.body)
    assert (case.kind, case.expect) == (CaseKind.INVALID, Outcome.REJECT)
    first = explain(case.body)
    assert first is not None
    assert case.violates == (first.pointer, first.keyword), first.message


def test_ids_are_unique_and_the_list_is_the_same_on_every_call() -> None:
    assert len(BY_ID) == len(CASES)
    assert invalid_cases() == CASES


@pytest.mark.parametrize(
    ("name", "pointer", "keyword", "field", "value"),
    [
        ("seed-below-minimum", "/seed", "minimum", "seed", 0),
        ("seed-above-maximum", "/seed", "maximum", "seed", SEED_MAX + 1),
        ("top_k-above-maximum", "/top_k", "maximum", "top_k", 51),
        ("top_k-below-minimum", "/top_k", "minimum", "top_k", 0),
        ("temperature-above-maximum", "/temperature", "maximum", "temperature", 5.01),
        ("messages-top_p-below-minimum", "/top_p", "minimum", "top_p", -0.01),
        ("top_k-as-float", "/top_k", "type", "top_k", 1.5),
        ("max_tokens-as-boolean", "/max_tokens", "type", "max_tokens", True),
    ],
)
def test_named_violations(name: str, pointer: str, keyword: str, field: str, value: Any) -> None:
    case = BY_ID[f"invalid/{name}"]
    assert case.violates == (pointer, keyword)
    assert case.body[field] == value and type(case.body[field]) is type(value)


def test_the_cases_the_issue_names_are_present() -> None:
    assert len(BY_ID["invalid/prompt-too-long"].body["prompt"]) == MAX_CONTENT_CHARS + 1
    content = BY_ID["invalid/messages-0-content-too-long"].body["messages"][0]["content"]
    assert len(content) == MAX_CONTENT_CHARS + 1
    both = BY_ID["invalid/body-matches-every-branch"]
    assert {"prompt", "messages"} <= set(both.body) and both.violates == ("", "oneOf")
    assert BY_ID["invalid/body-matches-no-branch"].violates == ("", "oneOf")
    assert BY_ID["invalid/body-missing-prompt"].violates == ("", "oneOf")
    assert "role" not in BY_ID["invalid/messages-0-missing-role"].body["messages"][0]
    tool_both = BY_ID["invalid/messages-tools-0-matches-every-branch"].body["tools"][0]
    assert {"name", "function"} <= set(tool_both)
    assert BY_ID["invalid/messages-tools-0-matches-no-branch"].body["tools"] == [{}]
    for name in ("body-as-array", "body-null", "body-as-string"):
        assert not isinstance(BY_ID[f"invalid/{name}"].body, dict)


def _constraints(schema: dict[str, Any], pointer: str = "") -> Iterator[str]:
    """The schema path of every asserting keyword, walking subschemas (not property names)."""
    for keyword in CONSTRAINTS:
        if keyword in schema:
            yield f"{pointer}/{keyword}"
    for name, sub in schema.get("properties", {}).items():
        yield from _constraints(sub, f"{pointer}/properties/{name}")
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            yield from _constraints(schema[keyword], f"{pointer}/{keyword}")
    for index, branch in enumerate(schema.get("oneOf", ())):
        yield from _constraints(branch, f"{pointer}/oneOf/{index}")


def _failing_keywords(body: Any) -> set[str]:
    """The schema path of every keyword the body fails, nested oneOf branches included."""
    stack = list(Draft202012Validator(load_schema("input.json")).iter_errors(body))
    found: set[str] = set()
    while stack:
        error = stack.pop()
        stack.extend(error.context or ())
        found.add("".join(f"/{part}" for part in error.absolute_schema_path))
    return found


def test_every_constraint_of_the_schema_is_broken_by_some_case() -> None:
    covered: set[str] = set()
    for case in CASES:
        covered |= _failing_keywords(case.body)
    missing = [path for path in _constraints(load_schema("input.json")) if path not in covered]
    assert not missing, f"constraints no invalid case breaks: {missing}"


def test_cases_do_not_share_bodies() -> None:
    cases = invalid_cases()
    for case in cases:
        if isinstance(case.body, dict) and "tools" in case.body:
            case.body["tools"].clear()
    assert invalid_cases() == CASES


Place = tuple[str, tuple[str, ...], str]


def _constrained_places(node: Any, path: tuple[str, ...], branch: str) -> Iterator[Place]:
    """Every (branch, body path, keyword) the schema constrains; ``*`` stands for any property name."""
    if not isinstance(node, dict):
        return
    for keyword in ("type", "minimum", "maximum", "maxLength"):
        if keyword in node:
            yield branch, path, keyword
    if node.get("minLength", 0) > 0:
        yield branch, path, "minLength"
    for key in node.get("required", ()):
        yield branch, (*path, key), "required"
    for name, sub in node.get("properties", {}).items():
        yield from _constrained_places(sub, (*path, name), branch)
    if isinstance(node.get("items"), dict):
        yield from _constrained_places(node["items"], (*path, "0"), branch)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _constrained_places(node["additionalProperties"], (*path, "*"), branch)
    for sub in node.get("oneOf", ()):
        yield from _constrained_places(sub, path, branch)


def test_every_keyword_at_every_place_in_both_branches_has_a_case() -> None:
    covered = set()
    for case in invalid_cases():
        assert case.violates is not None
        pointer, keyword = case.violates
        parts = tuple(part for part in pointer.split("/") if part)
        branch = next((b for b in ("Prompt", "Messages") if f"({b} branch)" in case.label), "")
        if "missing-" in case.id:  # a removed key: `required`, or `oneOf` when it was a branch's only one
            covered.add((branch, (*parts, case.id.rsplit("missing-", 1)[1]), "required"))
        else:
            covered.add((branch, parts, keyword))

    def has_case(branch: str, path: tuple[str, ...], keyword: str) -> bool:
        return any(
            k == keyword
            and b in (branch, "")
            and len(p) == len(path)
            and all(want in ("*", got) for want, got in zip(path, p, strict=True))
            for b, p, k in covered
        )

    schema = load_schema("input.json")
    wanted = {c for branch in schema["oneOf"] for c in _constrained_places(branch, (), branch["title"])}
    missing = {c for c in wanted if not has_case(*c)}
    # Removing `messages` leaves the same body as removing `prompt`: one case stands for both.
    assert missing == {("Messages", ("messages",), "required")}
    assert len(wanted) > 100


def test_a_later_version_gets_a_case_per_constraint_it_has_and_none_for_image() -> None:
    later = schema_version("docs-2025-01")
    cases = invalid_cases(later)
    validator = later.request_validator()
    assert all(not validator.is_valid(case.body) for case in cases)
    assert not [case.id for case in cases if "image" in case.id]
    assert {case.id for case in cases} == {case.id for case in CASES if "image" not in case.id}
    for case in cases:
        first = validator.explain(case.body)
        assert first is not None and case.violates == (first.pointer, first.keyword), case.id
