"""The Case value: ids, tags, the JSON form and one-line summaries."""

from __future__ import annotations

import pytest

from conformance.generation import Case, CaseKind, Outcome, body_digest, body_tags, boundary_cases
from conformance.generation.cases import body_line


def test_build_derives_id_and_outcome_from_kind() -> None:
    case = Case.build(
        CaseKind.INVALID, "seed-zero", "seed 0", {"prompt": "x", "seed": 0}, violates=("/seed", "minimum")
    )
    assert case.id == "invalid/seed-zero"
    assert case.expect is Outcome.REJECT
    assert Case.build(CaseKind.BOUNDARY, "x", "x", {"prompt": "x"}).expect is Outcome.ACCEPT


def test_body_digest_ignores_key_order() -> None:
    assert body_digest({"a": 1, "b": [2]}) == body_digest({"b": [2], "a": 1})
    assert body_digest({"a": 1}) != body_digest({"a": 1.5})


@pytest.mark.parametrize(
    ("body", "tags"),
    [
        ({"prompt": "x"}, ("prompt",)),
        ({"messages": [], "stream": True, "tools": []}, ("messages", "stream", "tools")),
        ({"prompt": "x", "messages": []}, ("both",)),
        ({}, ("neither",)),
        ([1], ("not-object",)),
        ({"prompt": "a" * 70000}, ("prompt", "large")),
    ],
)
def test_body_tags(body: object, tags: tuple[str, ...]) -> None:
    assert body_tags(body) == tags


def test_json_form_round_trips() -> None:
    for case in boundary_cases()[:5]:
        assert Case.from_json(case.to_json()) == case
    invalid = Case.build(CaseKind.INVALID, "n", "l", {"prompt": ""}, violates=("/prompt", "minLength"))
    assert invalid.to_json()["violates"] == ["/prompt", "minLength"]
    assert Case.from_json(invalid.to_json()) == invalid


def test_summaries_are_short_and_one_line() -> None:
    huge = {"prompt": "\U0001f600" * 131072, "max_tokens": 16}
    text = body_line(huge)
    assert "<131072 chars" in text and len(text) <= 80
    awkward = body_line({"prompt": "a\u2028b\u0085c\x00d\u202e"})
    assert "\\u2028" in awkward and "\\u0085" in awkward and "\\u0000" in awkward and "\\u202e" in awkward
    assert len(awkward.splitlines()) == 1
    assert body_line({"image": list(range(100))}).endswith("… 100 items]}")
    assert len(body_line({"prompt": "x" * 20, "seed": 1, "top_k": 2, "top_p": 0.5}, width=30)) == 30
