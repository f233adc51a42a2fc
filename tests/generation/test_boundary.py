"""The boundary catalogue: valid bodies at every edge, built the same way every time."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.contract import MAX_CONTENT_CHARS, SEED_MAX, load_schema, request_validator, schema_version
from conformance.generation import CaseKind, Outcome, boundary_cases
from conformance.generation.boundary import STREAMED
from conformance.generation.cases import Case

CASES = boundary_cases()
BY_ID = {case.id: case for case in CASES}


def _body(name: str) -> Any:
    return BY_ID[f"boundary/{name}"].body


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_case_is_valid_for_both_back_ends(case: Case) -> None:
    validator = request_validator()
    assert validator.is_valid(case.body), validator.explain(case.body)
    assert validator.is_valid_reference(case.body)
    assert (case.kind, case.expect, case.violates) == (CaseKind.BOUNDARY, Outcome.ACCEPT, None)


def test_ids_are_unique_and_the_list_is_the_same_on_every_call() -> None:
    assert len(BY_ID) == len(CASES)
    assert boundary_cases() == CASES


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("temperature-min", "temperature", 0),
        ("temperature-max", "temperature", 5),
        ("top_p-min", "top_p", 0),
        ("top_p-max", "top_p", 2),
        ("top_k-min", "top_k", 1),
        ("top_k-max", "top_k", 50),
        ("seed-min", "seed", 1),
        ("seed-max", "seed", SEED_MAX),
        ("repetition_penalty-max", "repetition_penalty", 2),
        ("frequency_penalty-min", "frequency_penalty", 0),
        ("presence_penalty-max", "presence_penalty", 2),
        ("messages-seed-max", "seed", SEED_MAX),
        ("max_tokens-zero", "max_tokens", 0),
        ("max_tokens-negative", "max_tokens", -1),
    ],
)
def test_named_edges_carry_their_value(name: str, field: str, value: int) -> None:
    body = _body(name)
    assert body[field] == value and type(body[field]) is int


def test_every_bound_in_the_schema_is_hit_in_both_branches() -> None:
    for prefix, branch in zip(("", "messages-"), load_schema("input.json")["oneOf"], strict=True):
        for field, sub in branch["properties"].items():
            if "minimum" in sub:
                assert _body(f"{prefix}{field}-min")[field] == sub["minimum"]
            if "maximum" in sub:
                assert _body(f"{prefix}{field}-max")[field] == sub["maximum"]


@pytest.mark.parametrize("field", ["max_tokens", "top_k", "seed"])
def test_integer_fields_get_an_integral_float(field: str) -> None:
    for name in (f"{field}-integral-float", f"messages-{field}-integral-float"):
        value = _body(name)[field]
        assert type(value) is float and value == 5.0


def test_lengths_count_code_points() -> None:
    assert _body("prompt-length-1-ascii")["prompt"] == "a"
    assert len(_body("prompt-length-1-astral")["prompt"]) == 1
    assert len(_body("prompt-length-max-ascii")["prompt"]) == MAX_CONTENT_CHARS
    astral = _body("prompt-length-max-astral")["prompt"]
    assert len(astral) == MAX_CONTENT_CHARS
    assert len(astral.encode("utf-16-le")) // 2 == 2 * MAX_CONTENT_CHARS
    for suffix in ("max-ascii", "max-astral"):
        (message,) = _body(f"messages-content-length-{suffix}")["messages"]
        assert len(message["content"]) == MAX_CONTENT_CHARS
    assert "large" in BY_ID["boundary/prompt-length-max-astral"].tags


def test_shapes_and_variants_are_present() -> None:
    assert _body("messages-empty")["messages"] == []
    roles = {m["role"] for m in _body("messages-all-roles")["messages"]}
    assert roles == {"system", "user", "assistant", "tool"}
    for role in ("system", "user", "assistant", "tool"):
        assert _body(f"messages-role-{role}")["messages"][0]["role"] == role
    (flat,) = _body("messages-tools-flat")["tools"]
    (openai,) = _body("messages-tools-openai")["tools"]
    assert {"name", "description", "parameters"} <= set(flat) and "function" not in flat
    assert openai["type"] == "function" and "name" in openai["function"]
    assert _body("messages-functions")["functions"][0].keys() == {"name", "code"}
    assert isinstance(_body("image-bytes")["image"], list)
    assert isinstance(_body("image-string")["image"], str)
    assert _body("raw-true")["raw"] is True
    assert isinstance(_body("lora")["lora"], str)


@pytest.mark.parametrize("char", ["\u2028", "\u0085", "\x00", "\u0301", "\u202e", "\r"])
def test_awkward_characters_appear_in_prompt_and_in_content(char: str) -> None:
    prompts = [c.body["prompt"] for c in CASES if isinstance(c.body.get("prompt"), str)]
    contents = [m["content"] for c in CASES for m in c.body.get("messages", [])]
    assert any(char in text for text in prompts)
    assert any(char in text for text in contents)


def test_streamed_variants_cover_both_branches() -> None:
    streamed = [case for case in CASES if case.stream]
    assert {case.tags[0] for case in streamed} == {"prompt", "messages"}
    for name in STREAMED:
        case = BY_ID[f"boundary/{name}-stream"]
        assert case.stream and "stream" in case.tags
        assert {**case.body, "stream": None} == {**_body(name), "stream": None}
    assert BY_ID["boundary/stream-false"].stream is False


def test_max_tokens_stays_small_unless_it_is_the_subject() -> None:
    for case in CASES:
        tokens = case.body.get("max_tokens")
        about_max_tokens = "max_tokens" in case.id or case.id.endswith("-minimal")
        if not about_max_tokens:
            assert tokens is not None and 0 < tokens <= 32, case.id


def test_cases_do_not_share_bodies() -> None:
    cases = boundary_cases()
    cases[1].body["messages"][0]["content"] = "changed"
    assert boundary_cases()[1].body["messages"][0]["content"] != "changed"


def test_a_later_version_keeps_every_edge_but_the_image_ones() -> None:
    later = schema_version("docs-2025-01")
    cases = boundary_cases(later)
    validator = later.request_validator()
    assert all(validator.is_valid(case.body) for case in cases)
    assert not [case.id for case in cases if "image" in case.body]
    page = {case.id: case for case in boundary_cases()}
    assert {case.id for case in cases} == {i for i, case in page.items() if "image-" not in i}
    every = {case.id: case for case in cases}["boundary/prompt-every-option"]
    assert set(every.body) == set(page["boundary/prompt-every-option"].body) - {"image"}
