"""docs/runner.md's "Faults proven caught" table, kept true: every row is run against its broken server.

Each row names a fault switch of the fake server, the check that must catch
it and the profile that suffices; the run selects only that check, so a row
fails when the check stops catching the fault, whatever the other checks do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.checks import Scenario, registry
from conformance.checks.error_statuses import UNKNOWN_ACCOUNT, UNKNOWN_MODEL
from conformance.contract import DEFAULT_SCHEMA_VERSION, MODEL
from conformance.runner import RunConfig, RunFinished, RunResult, run
from conformance.transport import TransportSettings
from support.fake_server import FAULTS, fake_server
from support.samples import TOKEN

IDLE_TIMEOUT_S = 2
"""Short: a stalled stream fails after this long instead of the default minute."""

DOC = Path(__file__).parents[2] / "docs" / "runner.md"
ROW = re.compile(
    r"^\| `(?P<fault>\w+)` \| (?P<words>[^|]+) \| `(?P<check>\w+)` "
    r"\| (?P<profile>\w+)(?: (?P<schema>[\w-]+))? \|$"
)

INFRASTRUCTURE = {
    "rate_limit_once",
    "refuse_all_auth",
    "endless_stream",
    "echo_auth",
    "stall_streams",
    "retired_model",
    "stop_answering",  # the run stops itself: tests/runner/test_stopping.py
}
"""Fault switches that test the runner's own limits (retries, exit 3, caps, redaction), not a check."""

FUZZ_ONLY = {"other_methods_500"}
"""Faults only `conformance fuzz` reaches (other HTTP methods): measured in docs/fuzz.md instead."""

CONFORMANT = {"capacity_429", "busy_429", "raw_path"}
"""Switches that are no fault: documented refusals, servers built differently. No check may fail them."""

CONFORMANT_ROW = re.compile(r"^\| `(?P<switch>\w+)` \| [^|]+ \| [^|]+ \|$")

DIFF_ONLY = {
    "bad_input_code_3003",
    "refuse_large_413",
    "no_usage",
    "sample_unseeded",
    "random_padding",
    "shuffled_headers",
}
"""Conformant behaviours besides the default one; `conformance diff` tells them apart (cli/test_diff.py)."""


def table_rows() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Faults proven caught", 1)[1].split("\n## ", 1)[0]
    rows = [ROW.match(line) for line in section.splitlines()]
    # The profile column may name a schema version after the profile: "smoke docs-2025-01".
    return [(m["fault"], m["check"], " ".join(filter(None, (m["profile"], m["schema"])))) for m in rows if m]


def conformant_rows() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Conformant servers built differently", 1)[1].split("\n## ", 1)[0]
    rows = [CONFORMANT_ROW.match(line) for line in section.splitlines()]
    return [m["switch"] for m in rows if m is not None and m["switch"] != "switch"]


ROWS = table_rows()
CONFORMANT_ROWS = conformant_rows()


def run_smallest(
    faults: set[str],
    profile: str,
    checks: tuple[str, ...] = (),
    request_lines: list[str] | None = None,
    *,
    concurrency: int = 4,
) -> RunResult:
    profile, _, schema = profile.partition(" ")
    with fake_server(faults, token=TOKEN, request_lines=request_lines) as url:
        config = RunConfig(
            base_url=url,
            account_id="X",
            token=TOKEN,
            seed=11,
            profile=profile,
            checks=checks,
            schema_version=schema or DEFAULT_SCHEMA_VERSION,
            concurrency=concurrency,
            transport=TransportSettings(idle_timeout_s=IDLE_TIMEOUT_S),
        )
        final = list(run(config))[-1]
    assert isinstance(final, RunFinished)
    return final.result


def test_the_table_covers_every_check_and_every_verdict_fault() -> None:
    assert {check for _, check, _ in ROWS} == {c.id for c in registry.all()}
    assert {fault for fault, _, _ in ROWS} == FAULTS - INFRASTRUCTURE - FUZZ_ONLY - CONFORMANT - DIFF_ONLY


def test_the_conformant_table_names_only_conformant_switches() -> None:
    assert CONFORMANT_ROWS and set(CONFORMANT_ROWS) <= CONFORMANT


@pytest.mark.slow
@pytest.mark.parametrize("switch", CONFORMANT_ROWS)
def test_each_conformant_server_fails_no_must_check(switch: str) -> None:
    result = run_smallest({switch}, "smoke")
    failed = [c.check.id for c in result.checks if c.status == "failed" and c.check.severity == "must"]
    assert failed == [], [f.message for f in result.failures]


@pytest.mark.slow
def test_run_sends_the_model_literally_and_passes_a_server_routing_on_the_raw_path() -> None:
    lines: list[str] = []
    result = run_smallest({"raw_path"}, "smoke", request_lines=lines)
    assert result.exit_code == 0, [f.message for f in result.failures]
    posts = [line for line in lines if line.startswith("POST ")]
    literal = f"POST /client/v4/accounts/X/ai/run/{MODEL} HTTP/1.1"
    # Besides the model: the unknown model and unknown account that `unknown_model_rejected` asks for.
    assert posts and {line for line in posts if line != literal} == {
        f"POST /client/v4/accounts/X/ai/run/{UNKNOWN_MODEL} HTTP/1.1",
        f"POST /client/v4/accounts/{UNKNOWN_ACCOUNT}/ai/run/{MODEL} HTTP/1.1",
    }


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "check_id", "profile"), ROWS, ids=[f"{row[0]}-{row[1]}" for row in ROWS])
def test_each_fault_is_caught_by_its_check_with_its_profile(fault: str, check_id: str, profile: str) -> None:
    result = run_smallest({fault}, profile, (check_id,))
    status = next(c.status for c in result.checks if c.check.id == check_id)
    assert status == "failed", [f.message for f in result.failures]


@pytest.mark.slow
def test_the_conformant_fake_server_fails_no_check_in_the_smallest_profile() -> None:
    result = run_smallest(set(), "smoke")
    assert result.exit_code == 0, [f.message for f in result.failures]
    assert all(c.status == "passed" for c in result.checks)


@pytest.mark.slow
def test_a_conformant_429_kept_after_the_retries_fails_no_must_check() -> None:
    # 429 with code 3040 is how the contract says "out of capacity": a refusal, not a fault.
    result = run_smallest({"capacity_429"}, "smoke")
    failed = [c.check.id for c in result.checks if c.status == "failed" and c.check.severity == "must"]
    assert failed == [], [f.message for f in result.failures]
    limited = [r for r in result.cases if r.error is not None and r.error.startswith("rate limited")]
    assert limited, "the switch must draw 429s that the client gives up on"
    assert all(r.exchanges[-1].retries == 2 for r in limited)
    assert status_of(result, "error_envelope_on_every_status") == "passed"


@pytest.mark.slow
def test_a_broken_envelope_on_a_429_kept_after_the_retries_fails_the_case() -> None:
    # The ordinary cases that drew the 429 cannot be judged on their own property,
    # but their 429's envelope is: a string code fails each of them.
    result = run_smallest({"capacity_429_bad_envelope"}, "smoke")
    failed = [
        r
        for r in result.cases
        if not isinstance(r.item, Scenario) and r.checks.get("error_envelope_conformance") == "failed"
    ]
    assert failed, [f.message for f in result.failures]
    assert all(r.exchanges[-1].status == 429 and r.exchanges[-1].retries == 2 for r in failed)


@pytest.mark.slow
def test_the_switches_diff_tells_apart_are_conformant_every_one_of_them() -> None:
    result = run_smallest(DIFF_ONLY, "smoke")
    assert result.exit_code == 0 and not result.failures, [f.message for f in result.failures]


def test_a_conformant_429_under_load_is_retried_and_fails_no_must_check() -> None:
    # 429/3040 with Retry-After above 2 requests in flight: a gateway in front of a full GPU.
    result = run_smallest({"busy_429"}, "smoke", concurrency=8)
    failed = [c.check.id for c in result.checks if c.status == "failed" and c.check.severity == "must"]
    assert failed == [], [f.message for f in result.failures]
    refused = [e for r in result.cases for e in r.exchanges if e.retried]
    assert refused, "at concurrency 8 the switch must refuse some requests"
    assert all(a.status == 429 for e in refused for a in e.retried)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["busy_429_bare", "busy_429_no_retry_after"])
def test_a_rude_429_fails_the_envelope_check_even_when_only_the_load_draws_it(fault: str) -> None:
    loaded = run_smallest({fault}, "smoke", ("error_envelope_conformance",), concurrency=8)
    assert status_of(loaded, "error_envelope_conformance") == "failed"
    says = "body that is not JSON" if fault == "busy_429_bare" else "a 429 with no Retry-After header"
    assert any(says in f.message for f in loaded.failures), [f.message for f in loaded.failures]
    # One request at a time never draws a refusal: the same server then passes.
    alone = run_smallest({fault}, "smoke", ("error_envelope_conformance",), concurrency=1)
    assert status_of(alone, "error_envelope_conformance") == "passed", [f.message for f in alone.failures]


def status_of(result: RunResult, check_id: str) -> str:
    return next(c.status for c in result.checks if c.check.id == check_id)
