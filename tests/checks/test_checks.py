"""Every built-in check, both ways, against real HTTP servers on loopback.

The conformant fake must pass every check; each fault switch breaks one
property, and the check for it must fail with a message that says so.
"""

from __future__ import annotations

import json

import pytest

from conformance.checks import (
    CheckFailure,
    CheckRegistry,
    CheckSkipped,
    Observation,
    Scenario,
    ScenarioOutcome,
    ScenarioRequest,
    check,
    registry,
)
from conformance.errors import UsageError
from conformance.runner import RunConfig, RunFinished, RunResult, run
from conformance.transport import Exchange
from support.fake_server import fake_server
from support.samples import TOKEN, small_cases


def run_against(
    faults: set[str], checks: tuple[str, ...] = (), *, token: str | None = TOKEN, **options: object
) -> RunResult:
    with fake_server(faults, token=token) as url:
        config = RunConfig(
            base_url=url,
            account_id="X",
            token=token,
            seed=7,
            cases=small_cases(),
            profile="smoke",
            checks=checks,
            **options,
        )  # type: ignore[arg-type]
        events = list(run(config))
    final = events[-1]
    assert isinstance(final, RunFinished)
    return final.result


def status_of(result: RunResult, check_id: str) -> str:
    return next(c.status for c in result.checks if c.check.id == check_id)


@pytest.mark.parametrize("schema", ["page-2024", "docs-2025-01"])
def test_conformant_server_passes_every_check(schema: str) -> None:
    # The conformant fake takes images and reports usage: it follows both versions.
    result = run_against(set(), schema_version=schema)
    assert {c.check.id: c.status for c in result.checks} == {c.id: "passed" for c in registry.all()}
    assert result.verdict == "pass" and result.exit_code == 0


BROKEN = [
    (
        "status_code_conformance",
        "accept_invalid",
        "Expected: 4xx for a body that violates maximum at /temperature",
    ),
    ("status_code_conformance", "reject_valid", "Received: 400"),
    ("status_code_conformance", "server_error", "never a 5xx"),
    ("content_type_conformance", "wrong_content_type", "Received: Content-Type 'text/plain'"),
    ("success_envelope_conformance", "bad_success_envelope", "Where: /success"),
    ("error_envelope_conformance", "bad_error_envelope", "Where: /errors"),
    ("result_conformance", "bad_result", "Where: /result/response"),
    ("http_framing_conformance", "lying_content_length", "Content-Length says"),
    ("stream_framing_conformance", "stream_bad_json", "not JSON"),
    ("stream_framing_conformance", "stream_no_done", "stream ended without data: [DONE]"),
    ("stream_framing_conformance", "stream_after_done", "after data: [DONE]"),
    ("stream_framing_conformance", "stream_not_sse", "Expected: a stream ending with data: [DONE]"),
    ("max_tokens_honoured", "too_many_tokens", "Received: usage.completion_tokens"),
    ("max_tokens_honoured", "too_many_chars", "characters per token"),
    ("usage_consistent", "bad_usage", "total_tokens equal to prompt_tokens + completion_tokens"),
    ("auth_enforced", "no_auth", "Expected: 401 or 403"),
    ("same_seed_same_text", "nondeterministic", "texts that differ"),
    ("temperature_zero_deterministic", "nondeterministic", "texts that differ"),
    ("stream_matches_non_stream", "stream_mismatch", "texts that differ"),
    ("stream_framing_conformance", "stream_no_blank_line", "events merged into one"),
    ("usage_consistent", "stream_bad_usage", "total_tokens equal to prompt_tokens + completion_tokens"),
    ("max_tokens_honoured", "stream_too_many_tokens", "Received: usage.completion_tokens 1000"),
    ("error_envelope_conformance", "error_code_string", "Where: /errors/0/code"),
    ("same_seed_same_text", "stream_ignores_seed", "texts that differ"),
    ("length_counts_code_points", "counts_bytes", "the server counts UTF-8 bytes, not code points"),
    ("length_counts_code_points", "counts_utf16", "the server counts UTF-16 units, not code points"),
    (
        "length_counts_code_points",
        "caps_100000",
        "the server accepts up to 100000 code points of ASCII characters; the schema allows 131072",
    ),
    ("unknown_model_rejected", "accept_unknown_model", "Expected: 400 with code 5007"),
    ("same_seed_same_text", "reseeds_on_new_seed", "requests were sent back-to-back, with nothing else"),
    ("temperature_zero_deterministic", "cache_last_answer", "requests were sent interleaved, with another"),
    ("concurrent_answers_unchanged", "batch_shares_generator", "answers change when requests run concurren"),
    ("concurrent_answers_unchanged", "batch_leaks_parameters", "answers change when requests run concurren"),
    ("error_envelope_on_every_status", "bare_413", "Received: 413 for a request of more than 9 MiB"),
    (
        "error_envelope_on_every_status",
        "capacity_429_bad_envelope",
        "Received: 429 (after 2 retries) for a request of more than 9 MiB: '/errors/0/code' is a string",
    ),
    (
        "error_envelope_on_every_status",
        "forbidden_403_plain_text",
        "Received: 403 for a request with a wrong token: a text/plain body that is not JSON, 'Forbidden'",
    ),
]


@pytest.mark.parametrize(("check_id", "fault", "words"), BROKEN, ids=[f"{c}-{f}" for c, f, _ in BROKEN])
def test_each_check_fails_on_the_server_broken_its_way(check_id: str, fault: str, words: str) -> None:
    result = run_against({fault}, (check_id,))
    assert status_of(result, check_id) == "failed"
    messages = [f.message for f in result.failures]
    assert any(words in m for m in messages), messages
    assert all(m.startswith("Received: ") and "\nExpected: " in m for m in messages)
    severity = registry[check_id].severity
    assert result.exit_code == (1 if severity == "must" else 0)


BROKEN_UNDER_DOCS_2025_01 = [
    (
        "usage_reported",
        "omits_usage",
        "Expected: result.usage {prompt_tokens, completion_tokens, total_tokens}",
    ),
]
"""Faults only a later schema version makes faults: judged with --schema-version docs-2025-01."""


@pytest.mark.parametrize(("check_id", "fault", "words"), BROKEN_UNDER_DOCS_2025_01)
def test_each_later_version_check_fails_on_a_server_of_the_pages_version(
    check_id: str, fault: str, words: str
) -> None:
    later = run_against({fault}, (check_id,), schema_version="docs-2025-01")
    assert status_of(later, check_id) == "failed"
    assert any(words in f.message for f in later.failures), [f.message for f in later.failures]
    assert "--schema-version page-2024" in later.failures[0].message  # says how to judge it by the page
    assert later.exit_code == 0  # a 'should'
    # The same server follows the page's version, which declares no usage: nothing to report.
    assert status_of(run_against({fault}, (check_id,)), check_id) == "passed"


def test_every_builtin_check_is_proven_broken_somewhere() -> None:
    proven = {c for c, _, _ in BROKEN} | {c for c, _, _ in BROKEN_UNDER_DOCS_2025_01}
    assert proven == {c.id for c in registry.all()}


def _success(result: dict[str, object]) -> Exchange:
    body = {"result": result, "success": True, "errors": [], "messages": []}
    return _answer(200, json.dumps(body).encode())


def test_result_conformance_judges_usage_by_the_versions_output_schema() -> None:
    from conformance.checks.exchanges import result_conformance
    from conformance.checks.subjects import RunFacts
    from conformance.contract import schema_version
    from conformance.generation import Case, CaseKind

    case = Case.build(CaseKind.VALID, "x", "x", {"prompt": "x"})
    typed_wrong = _success({"response": "hi", "usage": {"prompt_tokens": "3"}})
    # The page's output schema does not declare usage: any value is an allowed extra key.
    result_conformance(Observation(case, typed_wrong, RunFacts(schema=schema_version("page-2024"))))
    later = RunFacts(schema=schema_version("docs-2025-01"))
    with pytest.raises(CheckFailure) as info:
        result_conformance(Observation(case, typed_wrong, later))
    assert "Where: /result/usage/prompt_tokens" in str(info.value)
    assert "output schema (docs-2025-01)" in str(info.value)
    result_conformance(Observation(case, _success({"response": "hi"}), later))  # declared, not required


def test_usage_reported_asks_only_what_the_version_declares() -> None:
    from conformance.checks.exchanges import usage_reported
    from conformance.checks.subjects import RunFacts
    from conformance.contract import schema_version
    from conformance.generation import Case, CaseKind

    case = Case.build(CaseKind.VALID, "x", "x", {"prompt": "x"})
    page, later = (
        RunFacts(schema=schema_version("page-2024")),
        RunFacts(schema=schema_version("docs-2025-01")),
    )
    bare = _success({"response": "hi"})
    usage = _success(
        {"response": "hi", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    )
    usage_reported(Observation(case, bare, page))
    usage_reported(Observation(case, usage, later))
    with pytest.raises(CheckFailure, match="Received: a result without usage"):
        usage_reported(Observation(case, bare, later))


def test_auth_check_is_skipped_with_a_reason_without_a_token() -> None:
    result = run_against(set(), token=None)
    auth = next(c for c in result.checks if c.check.id == "auth_enforced")
    assert auth.status == "skipped" and auth.skip_reason and "no token" in auth.skip_reason
    assert result.exit_code == 0


def test_should_failure_fails_the_run_only_when_strict() -> None:
    assert run_against({"bad_usage"}, ("usage_consistent",)).exit_code == 0
    assert run_against({"bad_usage"}, ("usage_consistent",), strict=True).exit_code == 1


def test_user_checks_register_with_the_same_decorator_and_can_be_selected() -> None:
    @check(id="response_under_10_words", severity="must", description="Short answers.", clause="ours")
    def response_under_10_words(observation: Observation) -> None:
        if len(observation.exchange.body) > 10:
            raise CheckFailure(
                received=f"{len(observation.exchange.body)} bytes", expected="at most 10 bytes"
            )

    try:
        result = run_against(set(), ("response_under_10_words",))
        assert [c.check.id for c in result.checks] == ["response_under_10_words"]
        assert result.exit_code == 1
    finally:
        registry.unregister("response_under_10_words")


def test_selecting_an_unknown_check_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="--check='nope' is not a registered check"):
        registry.select(["nope"])
    with pytest.raises(UsageError, match="--exclude-check='nope'"):
        registry.select(exclude=["nope"])


def test_exclude_removes_a_check() -> None:
    ids = [c.id for c in registry.select(exclude=["auth_enforced"])]
    assert "auth_enforced" not in ids and "status_code_conformance" in ids


def test_a_crashing_check_is_an_error_not_a_crash() -> None:
    own = CheckRegistry()

    @check(id="crashes", severity="must", description="Crashes.", clause="ours", into=own)
    def crashes(observation: Observation) -> None:
        raise ZeroDivisionError("oops")

    result = run_against(set(), registry=own)
    assert status_of(result, "crashes") == "error"
    assert "ZeroDivisionError" in result.failures[0].message
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("tags", "status", "passes"),
    [
        ((), 405, False),
        (("prompt", "lora"), 405, True),
        (("prompt", "large"), 413, True),
        (("prompt", "large"), 400, False),
        (("prompt", "large"), 404, False),
        (("prompt", "lora"), 400, False),
    ],
)
def test_only_documented_refusals_of_valid_bodies_are_accepted(
    tags: tuple[str, ...], status: int, passes: bool
) -> None:
    from conformance.checks.exchanges import status_code_conformance
    from conformance.generation import Case, CaseKind
    from conformance.transport import Exchange

    case = Case.build(CaseKind.BOUNDARY, "x", "x", {"prompt": "x"}, tags=tags)
    observation = Observation(case, Exchange("POST", "http://x", {}, case.body, status=status))
    if passes:
        status_code_conformance(observation)
    else:
        with pytest.raises(CheckFailure, match=f"Received: {status}"):
            status_code_conformance(observation)


def test_a_bad_input_refusal_of_a_large_valid_body_says_the_claim_is_false() -> None:
    from conformance.checks.exchanges import status_code_conformance
    from conformance.generation import Case, CaseKind
    from conformance.transport import Exchange

    case = Case.build(CaseKind.BOUNDARY, "x", "x", {"prompt": "x"}, tags=("prompt", "large"))
    body = b'{"success":false,"errors":[{"code":5006,"message":"Bad input"}],"result":{},"messages":[]}'
    exchange = Exchange("POST", "http://x", {}, case.body, status=400, body=body)
    with pytest.raises(CheckFailure) as info:
        status_code_conformance(Observation(case, exchange))
    assert "400 with code 5006 (bad input), a claim that the body breaks the schema" in str(info.value)
    assert "413 with code 3006, request too large" in str(info.value)


def _answer(
    status: int,
    body: bytes,
    *,
    retries: int = 0,
    ctype: str = "application/json",
    retry_after: str | None = "0",
    retried: tuple[Exchange, ...] = (),
) -> Exchange:
    headers = {"content-type": ctype}
    if status == 429 and retry_after is not None:
        headers["retry-after"] = retry_after
    return Exchange(
        "POST",
        "http://x/run",
        {},
        {},
        status=status,
        headers=headers,
        body=body,
        retries=retries,
        retried=retried,
    )


def _envelope(code: int | str) -> bytes:
    return json.dumps({"success": False, "errors": [{"code": code, "message": "m"}], "result": {}}).encode()


def _outcome(requests: tuple[ScenarioRequest, ...], exchanges: tuple[Exchange, ...]) -> ScenarioOutcome:
    return ScenarioOutcome(Scenario("scenario/s", "s", requests), exchanges)


AUTH_REQUESTS = (ScenarioRequest({}, auth="none"), ScenarioRequest({}, auth="wrong"))


def test_the_envelope_of_a_403_and_of_a_429_kept_after_the_retries_is_judged() -> None:
    from conformance.checks.error_statuses import error_envelope_on_every_status

    requests = (*AUTH_REQUESTS, ScenarioRequest({}))
    conformant = (
        _answer(401, _envelope(10000)),
        _answer(403, _envelope(10000)),
        _answer(429, _envelope(3040), retries=2),
    )
    error_envelope_on_every_status(_outcome(requests, conformant))
    with pytest.raises(CheckFailure) as info:
        error_envelope_on_every_status(
            _outcome(requests, (conformant[0], _answer(403, b"Forbidden", ctype="text/plain")))
        )
    assert str(info.value).startswith(
        "Received: 403 for a request with a wrong token: a text/plain body that is not JSON"
    )
    assert "\nWhere: scenario/s: POST http://x/run" in str(info.value)
    with pytest.raises(CheckFailure) as info:
        error_envelope_on_every_status(
            _outcome(requests, (*conformant[:2], _answer(429, _envelope("3040"), retries=2)))
        )
    assert str(info.value).startswith(
        "Received: 429 (after 2 retries) for a request with a schema-invalid body"
    )
    assert "\nWhere: scenario/s: /errors/0/code of the answer to POST http://x/run" in str(info.value)


def test_a_429_kept_after_the_retries_skips_the_status_checks_of_scenarios() -> None:
    from conformance.checks.error_statuses import unknown_model_rejected
    from conformance.checks.scenarios import auth_enforced

    limited = _answer(429, _envelope(3040), retries=2)
    with pytest.raises(CheckSkipped, match="still 429 after 2 retries"):
        auth_enforced(_outcome(AUTH_REQUESTS, (limited, limited)))
    with pytest.raises(CheckSkipped, match="still 429 after 2 retries"):
        unknown_model_rejected(_outcome(AUTH_REQUESTS[:1], (limited,)))
    # Not rate limited: judged as before.
    with pytest.raises(CheckFailure, match="Received: 200 for a request without a token"):
        auth_enforced(_outcome(AUTH_REQUESTS, (_answer(200, b"{}"), limited)))
    with pytest.raises(CheckFailure, match="Expected: 400 with code 5007"):
        unknown_model_rejected(_outcome(AUTH_REQUESTS[:1], (_answer(429, _envelope(3040)),)))


ORDERS_BROKEN = [
    ("reseeds_on_new_seed", "back-to-back", "interleaved"),
    ("cache_last_answer", "interleaved", "back-to-back"),
]


@pytest.mark.parametrize(("fault", "broke", "held"), ORDERS_BROKEN)
def test_a_comparison_names_the_order_that_broke_and_the_one_that_held(
    fault: str, broke: str, held: str
) -> None:
    # Each server keeps state across requests: one order shows it, the other hides it.
    result = run_against({fault}, ("same_seed_same_text",))
    messages = [f.message for f in result.failures]
    assert len(messages) == 2, messages  # the plain and the streamed scenario
    for message in messages:
        assert f"texts that differ when the two requests were sent {broke}," in message
        assert f"the same texts when sent {held}," in message
        assert f"texts that differ when the two requests were sent {held}" not in message


def test_a_pair_is_sent_both_ways_alone_with_another_pair_between_its_interleaved_requests() -> None:
    from conformance.checks import PlanContext
    from conformance.checks.scenarios import _plan_same_seed, _plan_stream_agreement

    context = PlanContext(seed=3)
    for scenario in _plan_same_seed(context) + _plan_stream_agreement(context):
        assert scenario.exclusive
        p1, p2, q2, p2_again, q1, q2_again = (r.body for r in scenario.requests)
        assert p2 == p2_again and q2 == q2_again
        assert {**p1, "stream": True} == {**p2, "stream": True}
        assert {**q1, "stream": True} == {**q2, "stream": True}
        assert p1["prompt"] != q1["prompt"] and p1["seed"] != q1["seed"]


def test_a_recorded_pair_from_before_the_orders_is_still_compared() -> None:
    from conformance.checks.scenarios import same_seed_same_text

    def said(text: str) -> Exchange:
        envelope = {"success": True, "errors": [], "result": {"response": text}}
        return _answer(200, json.dumps(envelope).encode())

    requests = (ScenarioRequest({"prompt": "x", "seed": 1}),) * 2
    same_seed_same_text(_outcome(requests, (said("alpha"), said("alpha"))))
    with pytest.raises(CheckFailure, match="Received: texts that differ at character 0"):
        same_seed_same_text(_outcome(requests, (said("alpha"), said("beta"))))


def test_a_429_says_when_to_retry_even_one_the_client_retried_away() -> None:
    from conformance.checks.error_statuses import error_envelope_on_every_status
    from conformance.checks.exchanges import error_envelope_conformance
    from conformance.generation import Case, CaseKind

    case = Case.build(CaseKind.VALID, "valid/x", "x", {"prompt": "x"})
    polite = _answer(429, _envelope(3040))
    dated = _answer(429, _envelope(3040), retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    for refusal in (polite, dated):
        error_envelope_conformance(Observation(case, _answer(200, b"{}", retries=1, retried=(refusal,))))
        error_envelope_conformance(
            Observation(case, _answer(429, _envelope(3040), retries=1, retried=(refusal,)))
        )
    rude = {
        "no Retry-After header": _answer(429, _envelope(3040), retry_after=None),
        "Retry-After 'soon', which is neither": _answer(429, _envelope(3040), retry_after="soon"),
        "a body that is not JSON": _answer(429, b"Too Many Requests", ctype="text/plain"),
    }
    for says, refusal in rude.items():
        # Retried away, and the retry answered: the refusal still fails the case.
        with pytest.raises(CheckFailure) as info:
            error_envelope_conformance(Observation(case, _answer(200, b"{}", retries=1, retried=(refusal,))))
        assert says in str(info.value) and "Where: an answer the client retried" in str(info.value)
        # Kept after the retries: the same.
        with pytest.raises(CheckFailure) as info:
            error_envelope_conformance(
                Observation(case, _answer(429, refusal.body, retry_after=None, retries=2))
            )
        assert str(info.value).startswith("Received: ")
        outcome = _outcome((ScenarioRequest({}),), (_answer(200, b"{}", retries=1, retried=(refusal,)),))
        with pytest.raises(CheckFailure) as info:
            error_envelope_on_every_status(outcome)
        assert "429 (an answer the client retried) for a request with a schema-invalid body" in str(
            info.value
        )
