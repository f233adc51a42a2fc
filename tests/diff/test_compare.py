"""`conformance.diff.compare` and `.verdict`: one case side by side, the noise rule, the verdict."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from conformance.checks import Scenario, ScenarioRequest
from conformance.diff.compare import Sides, compare_case
from conformance.diff.verdict import DiffSettings, conclude, settle, untestable
from conformance.errors import UsageError
from conformance.generation import Case, CaseKind
from conformance.runner import RunResult
from conformance.runner.differences import Difference, Differences
from conformance.transport import Exchange

CASE = Case.build(CaseKind.VALID, "hello", "hello", {"prompt": "Hello", "max_tokens": 4})


def ok(text: str = "one two", *, usage: bool = True) -> Exchange:
    result: dict[str, Any] = {"response": text}
    if usage:
        result["usage"] = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    body = {"result": result, "success": True, "errors": [], "messages": []}
    return Exchange(
        "POST", "u", {}, CASE.body, 200, {"content-type": "application/json"}, json.dumps(body).encode()
    )


def error(status: int, code: int, *, retries: int = 0) -> Exchange:
    body = {"errors": [{"code": code, "message": "no"}], "success": False, "result": {}, "messages": []}
    headers = {"content-type": "application/json"}
    return Exchange("POST", "u", {}, CASE.body, status, headers, json.dumps(body).encode(), retries=retries)


def live(
    reference: Exchange, target: Exchange, again: Exchange | None = None, item: Any = CASE
) -> list[Difference]:
    """A live comparison: the reference answered ``reference`` then ``again``."""
    sides = Sides(item, (reference,), (target,), (reference,), (again or reference,))
    return compare_case(sides, "reference").differences


def test_agreeing_sides_have_no_difference_whatever_their_texts() -> None:
    assert [d.klass for d in live(ok("a b"), ok("a b"))] == []
    assert [(d.klass, d.standing) for d in live(ok("a b"), ok("c d"))] == [("text", "counted")]


def test_a_difference_counts_where_the_reference_agrees_with_itself() -> None:
    (found,) = live(error(400, 5006), error(400, 3003))
    assert (found.klass, found.fact, found.reference, found.target) == (
        "error_code",
        "error_codes",
        [5006],
        [3003],
    )
    assert found.standing == "counted" and found.exchange == 0


def test_a_difference_where_the_reference_disagrees_with_itself_is_noise_and_says_why() -> None:
    (found,) = live(error(400, 5006), error(400, 3003), again=error(400, 3007))
    assert found.standing == "noise"
    assert found.note == "the reference answered [5006] the first time and [3007] the second"


def test_a_differing_status_is_one_difference_not_one_per_fact_below_it() -> None:
    found = live(error(413, 3006), ok())
    assert [(d.klass, d.reference, d.target) for d in found] == [("status", 413, 200)]
    assert found[0].note == "status class 4xx against 2xx"
    assert live(error(401, 10000), error(403, 10000))[0].note == "the same status class, 4xx"


def test_usage_present_against_absent_is_a_fields_difference() -> None:
    found = live(ok("a"), ok("a", usage=False))
    assert [(d.klass, d.reference, d.target) for d in found] == [
        ("fields", ["response", "usage"], ["response"])
    ]


def test_a_rate_limited_answer_is_not_compared() -> None:
    assert live(ok(), error(429, 3040, retries=2)) == []


def test_with_a_capture_the_target_asked_twice_sets_the_noise_floor() -> None:
    sides = Sides(CASE, (ok("a"),), (ok("b"),), (ok("b"),), (ok("c"),))
    (found,) = compare_case(sides, "target").differences
    assert found.standing == "noise" and found.note.startswith("the target answered 'b' the first time")


def scenario(body: dict[str, Any]) -> Scenario:
    return Scenario("scenario/same-seed-1", "twice", (ScenarioRequest(body),) * 2, "same_seed_same_text")


def test_determinism_fails_only_where_the_reference_reproduces_and_the_target_does_not() -> None:
    item = scenario({"prompt": "x", "seed": 3})

    def classes(reference: tuple[Exchange, ...], target: tuple[Exchange, ...]) -> list[tuple[str, str]]:
        found = compare_case(Sides(item, reference, target, reference, reference), "reference").differences
        return [(d.klass, d.standing) for d in found if d.klass != "text"]

    assert classes((ok("a"), ok("a")), (ok("b"), ok("c"))) == [("determinism", "counted")]
    assert classes((ok("a"), ok("b")), (ok("c"), ok("c"))) == []  # the reference does not reproduce
    assert classes((ok("a"), ok("a")), (ok("a"), ok("a"))) == []


def test_determinism_is_noise_when_the_reference_reproduced_only_once() -> None:
    item = scenario({"prompt": "x", "seed": 3})
    sides = Sides(item, (ok("a"), ok("a")), (ok("b"), ok("c")), (ok("a"), ok("a")), (ok("a"), ok("z")))
    (found,) = [d for d in compare_case(sides, "reference").differences if d.klass == "determinism"]
    assert found.standing == "noise" and "yes the first time and no the second" in found.note


def test_allow_accepts_a_class_and_texts_count_only_with_strict_text() -> None:
    found = live(error(400, 5006), error(400, 3003)) + live(ok("a"), ok("b"))
    assert [d.standing for d in settle(found, DiffSettings())] == ["counted", "accepted"]
    allowed = settle(found, DiffSettings(allow=("error_code",), strict_text=True))
    assert [(d.standing, d.note) for d in allowed] == [
        ("accepted", "accepted by --allow error_code"),
        ("counted", ""),
    ]


def test_an_unknown_class_is_a_usage_error_naming_the_option() -> None:
    with pytest.raises(UsageError, match=r"--allow='speed' is not one of status, error_code"):
        DiffSettings(allow=("speed",))


def result(exit_code: int, reason: str | None = None) -> RunResult:
    verdict = {0: "pass", 1: "fail", 3: "error"}[exit_code]
    return RunResult(verdict, exit_code, reason, {}, "smoke", 1, False, "", "", 0.0, {}, (), ())  # type: ignore[arg-type]


def differences(*found: Difference) -> Differences:
    return Differences({"kind": "url"}, "reference", (), False, 1, 0, 0, found)


COUNTED = Difference("valid/x", 0, "status", "status", 200, 413, "counted")


def test_the_verdict_fails_on_a_counted_difference_or_a_must_failure_and_stays_untestable() -> None:
    assert conclude(result(0), differences()).exit_code == 0
    assert conclude(result(0), differences(replace(COUNTED, standing="accepted"))).exit_code == 0
    assert conclude(result(0), differences(replace(COUNTED, standing="noise"))).exit_code == 0
    assert conclude(result(0), differences(COUNTED)).exit_code == 1
    assert conclude(result(1), differences()).exit_code == 1
    assert conclude(result(3, "unreachable"), differences(COUNTED)).exit_code == 3
    made = untestable(result(0), "the reference could not be tested: unreachable", ("ref-secret",))
    assert (made.exit_code, made.verdict, made.secrets) == (3, "error", ("ref-secret",))
