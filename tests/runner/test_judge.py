"""The runner's judge and verdict, pure: what a check declares decides, not its id; no file is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.checks import (
    Check,
    CheckFailure,
    CheckRegistry,
    RunFacts,
    Scenario,
    ScenarioOutcome,
    ScenarioRequest,
    check,
)
from conformance.generation import Case, CaseKind
from conformance.runner import CaseResult, Failure, RunConfig, judge_case
from conformance.runner._judge import judge_scenario, untestable_from_results
from conformance.runner._verdict import run_result
from conformance.runner.baseline import Baseline
from conformance.transport import Exchange

CASE = Case.build(CaseKind.VALID, "prompt", "a prompt", {"prompt": "Hello"})
URL = "http://127.0.0.1:8787/client/v4"


def _failing(registry: CheckRegistry, check_id: str, **flags: Any) -> Check:
    @check(id=check_id, severity="must", description="Fails.", clause="ours", into=registry, **flags)
    def fails(subject: Any) -> None:
        raise CheckFailure(received="anything", expected="nothing")

    return registry[check_id]


def _answer(status: int, retries: int = 0) -> Exchange:
    return Exchange("POST", URL, {}, CASE.body, status, {}, b"{}", retries=retries)


def test_on_a_429_kept_after_the_retries_only_the_checks_that_judge_refusals_judge() -> None:
    registry = CheckRegistry()
    checks = [_failing(registry, "plain"), _failing(registry, "own_envelope", judges_refusals=True)]
    refused = judge_case(CASE, _answer(429, retries=2), checks, RunFacts())
    assert refused.checks == {"own_envelope": "failed"} and refused.outcome == "failed"
    answered = judge_case(CASE, _answer(200), checks, RunFacts())
    assert answered.checks == {"plain": "failed", "own_envelope": "failed"}


def test_a_429_no_check_judges_is_a_case_that_could_not_be_judged() -> None:
    checks = [_failing(CheckRegistry(), "plain")]
    result = judge_case(CASE, _answer(429, retries=2), checks, RunFacts())
    assert result.outcome == "error" and result.error == "rate limited: still 429 after 2 retries"


def _refused_scenario(check_id: str) -> CaseResult:
    scenario = Scenario("scenario/auth", "auth", (ScenarioRequest({"prompt": "x"}, auth="none"),), check_id)
    exchanges = (Exchange("POST", URL, {}, {"prompt": "x"}, 401),)

    def passes(outcome: ScenarioOutcome) -> None:
        return None

    owner = Check(check_id, "must", "Refused.", "ours", passes, plan=lambda context: [scenario])
    return judge_scenario(scenario, exchanges, owner, RunFacts())


def test_refusals_a_check_asks_for_on_purpose_do_not_make_the_run_untestable() -> None:
    registry = CheckRegistry()
    on_purpose = _failing(registry, "no_token_refused", fails_auth_on_purpose=True)
    other = _failing(registry, "other_scenario")
    answered = judge_case(CASE, _answer(200), [], RunFacts())
    refused_case = judge_case(CASE, _answer(403), [], RunFacts())
    asked = _refused_scenario("no_token_refused")
    assert untestable_from_results([answered, asked], [on_purpose]) is None
    assert untestable_from_results([refused_case, asked], [on_purpose]) == "every request failed auth (403)"
    # The same 401 from a check that does not declare it counts like any other answer.
    assert untestable_from_results([_refused_scenario("other_scenario")], [other]) == (
        "every request failed auth (401)"
    )


def test_the_result_applies_the_baseline_it_is_given_and_writes_no_file(tmp_path: Path) -> None:
    registry = CheckRegistry()
    checks = [_failing(registry, "plain")]
    failed = judge_case(CASE, _answer(200), checks, RunFacts())
    path = tmp_path / "baseline.json"
    config = RunConfig(base_url=URL, account_id="X", baseline=path, update_baseline=True, registry=registry)

    def result(baseline: Baseline | None) -> Any:
        return run_result(
            config,
            checks,
            [failed],
            {},
            baseline=baseline,
            reason=None,
            extra_requests=0,
            started_at="",
            finished_at="",
            duration_s=0.0,
        )

    accepted = result(Baseline(str(path), frozenset({("plain", CASE.id)})))
    assert accepted.exit_code == 0 and accepted.counts["baselined"] == 1
    assert result(None).exit_code == 1 and result(Baseline(str(path))).exit_code == 1
    rewritten = result(Baseline(str(path), frozenset({("plain", "valid/gone")}), update=True))
    assert rewritten.exit_code == 0 and rewritten.baseline is not None and rewritten.baseline.updated
    assert rewritten.failures == [Failure("plain", CASE.id, failed.failures[0].message, "must", True)]
    assert not path.exists()  # the caller saves it (save_updated_baseline)
