"""Profiles: smoke covers every check and boundary class; the bigger profiles contain the smaller."""

from __future__ import annotations

from conformance.checks import registry
from conformance.generation import CaseKind, boundary_cases, invalid_cases
from conformance.runner import RunConfig, RunFinished, run
from conformance.runner.profiles import boundary_class, cases_for
from support.fake_server import fake_server
from support.samples import TOKEN

URL = "http://127.0.0.1:8787/client/v4"


def test_smoke_has_every_boundary_class_and_every_violated_keyword() -> None:
    smoke = cases_for(RunConfig(base_url=URL, account_id="X", profile="smoke", seed=1))
    assert {boundary_class(c) for c in smoke if c.kind is CaseKind.BOUNDARY} == {
        boundary_class(c) for c in boundary_cases()
    }
    assert {c.violates for c in smoke if c.violates} <= {c.violates for c in invalid_cases()}
    assert {c.violates[1] for c in smoke if c.violates} == {
        c.violates[1] for c in invalid_cases() if c.violates
    }
    # Each combination implementations special-case is in smoke, not only in the bigger profiles.
    assert {
        "stream",
        "stream, Messages branch",
        "stream with tools",
        "stream with functions",
        "unicode nul",
        "unicode control",
        "integral float",
        "minimal",
    } <= {boundary_class(c) for c in smoke}
    assert len(smoke) < 48


def test_standard_holds_every_built_case_and_drawn_ones_by_seed() -> None:
    standard = cases_for(RunConfig(base_url=URL, account_id="X", seed=1))
    ids = {c.id for c in standard}
    assert {c.id for c in boundary_cases() + invalid_cases()} <= ids
    assert sum(c.kind is CaseKind.VALID for c in standard) == 20


def test_a_smoke_run_judges_with_every_check_against_the_conformant_fake() -> None:
    with fake_server(token=TOKEN) as url:
        events = list(run(RunConfig(base_url=url, account_id="X", token=TOKEN, profile="smoke", seed=2)))
    final = events[-1]
    assert isinstance(final, RunFinished)
    result = final.result
    assert {c.check.id: c.status for c in result.checks} == {c.id: "passed" for c in registry.all()}
    assert result.exit_code == 0 and result.counts["cases_error"] == 0
