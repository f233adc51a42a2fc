"""The Hypothesis strategies: every draw is valid, and every optional field shows up."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance.contract import load_schema, request_validator, schema_version
from conformance.generation import (
    functions,
    images,
    messages,
    prompts,
    tool_definitions,
    valid_cases,
    valid_requests,
)
from conformance.generation.strategies import MAX_DRAWN_TOKENS, ROLES

QUICK = settings(max_examples=60, deadline=None, database=None)

SHARE_DRAWS = 300
MIN_SHARE = 0.15


def _draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    drawn: list[Any] = []

    @seed(0)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_hypothesis_jsonschema_still_generates_objects() -> None:
    """hypothesis-jsonschema 0.23.1 breaks on Hypothesis >= 6.170.10; say so plainly if it happens."""
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    try:
        drawn = _draw(from_schema(schema), 5) + _draw(from_schema(load_schema("input.json")), 5)
    except AttributeError as exc:
        pytest.fail(
            "hypothesis-jsonschema can no longer generate JSON objects with this Hypothesis "
            f"({exc}). hypothesis-jsonschema 0.23.1 calls a private Hypothesis API removed in "
            "6.170.10: keep hypothesis pinned below it in pyproject.toml (see ../shared/CONTRACT.md)."
        )
    assert drawn, "hypothesis-jsonschema drew nothing"
    assert all(isinstance(value, dict) for value in drawn), "hypothesis-jsonschema drew non-objects"


@QUICK
@given(valid_requests())
def test_every_drawn_request_is_valid_for_both_back_ends(body: dict[str, Any]) -> None:
    validator = request_validator()
    assert validator.is_valid(body), validator.explain(body)
    assert validator.is_valid_reference(body)


@QUICK
@given(tool_definitions())
def test_a_tool_matches_exactly_one_variant(tool: dict[str, Any]) -> None:
    assert ("name" in tool) != ("function" in tool)
    body = {"messages": [], "tools": [tool]}
    assert request_validator().is_valid(body)


@QUICK
@given(prompts(), messages(), functions(), images())
def test_parts_are_valid_in_a_body(
    prompt: str, conversation: list[Any], items: list[Any], image: list[Any] | str
) -> None:
    validator = request_validator()
    assert validator.is_valid({"prompt": prompt, "image": image})
    assert validator.is_valid({"messages": conversation, "functions": items, "image": image})


@pytest.fixture(scope="module")
def drawn() -> list[dict[str, Any]]:
    return [case.body for case in valid_cases(SHARE_DRAWS, seed=0)]


def _shares(bodies: list[dict[str, Any]], branch: str) -> dict[str, float]:
    mine = [body for body in bodies if branch in body]
    counts = Counter(key for body in mine for key in body if key != branch)
    return {key: counts[key] / len(mine) for key in sorted(counts)}


def test_every_optional_field_appears_in_a_fair_share_of_draws(drawn: list[dict[str, Any]]) -> None:
    """The shares stated in docs/generation.md (300 draws, seed 0)."""
    bodies = drawn
    branches = load_schema("input.json")["oneOf"]
    for branch, key in ((branches[0], "prompt"), (branches[1], "messages")):
        optional = set(branch["properties"]) - set(branch["required"])
        shares = _shares(bodies, key)
        print(key, {name: round(share, 2) for name, share in shares.items()})
        assert set(shares) == optional, f"never drawn in the {key} branch: {optional - set(shares)}"
        low = {name: share for name, share in shares.items() if share < MIN_SHARE}
        assert not low, f"optional fields of the {key} branch drawn too rarely: {low}"
    prompt_share = sum("prompt" in body for body in bodies) / len(bodies)
    assert 0.3 < prompt_share < 0.7, prompt_share


def test_variants_and_forms_all_appear(drawn: list[dict[str, Any]]) -> None:
    bodies = drawn
    tools = [tool for body in bodies for tool in body.get("tools", [])]
    assert sum("function" in tool for tool in tools) >= 10
    assert sum("name" in tool for tool in tools) >= 10
    forms = Counter(type(body["image"]).__name__ for body in bodies if "image" in body)
    assert forms["list"] >= 10 and forms["str"] >= 10, forms
    assert sum(body.get("stream") is True for body in bodies) >= 0.1 * len(bodies)
    roles = {message["role"] for body in bodies for message in body.get("messages", [])}
    assert set(ROLES) <= roles
    assert roles - set(ROLES), "no arbitrary role string was drawn"
    integral_floats = [b["max_tokens"] for b in bodies if isinstance(b.get("max_tokens"), float)]
    assert integral_floats and all(value.is_integer() for value in integral_floats)


def test_drawn_max_tokens_stay_small(drawn: list[dict[str, Any]]) -> None:
    bodies = drawn
    assert all(body.get("max_tokens", 0) <= MAX_DRAWN_TOKENS for body in bodies)


def test_a_later_version_draws_only_what_it_declares() -> None:
    """docs-2025-01 has no `image`: no draw carries one, and every optional field it keeps still shows up."""
    later = schema_version("docs-2025-01")
    bodies = _draw(valid_requests(later), 200)
    validator = later.request_validator()
    assert all(validator.is_valid(body) for body in bodies)
    assert not [body for body in bodies if "image" in body]
    for title, key in (("Prompt", "prompt"), ("Messages", "messages")):
        branch = later.branches()[title]
        optional = set(branch["properties"]) - set(branch["required"])
        assert set(_shares(bodies, key)) == optional
    assert valid_requests("docs-2025-01") is not valid_requests()
