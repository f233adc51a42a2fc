"""The pytest plugin driven as a user drives it: pytester runs pytest on the suite and on users' own tests.

Targets are real HTTP servers on 127.0.0.1: `fake_server` (conformant, or
broken on purpose by one fault) and, in the slow tests, the embedded
reference server over the tiny model. Inner runs happen in this process
except where a fresh interpreter is the point (xdist, import cost, the
embedded server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MODEL, schema_version
from conformance.generation import body_digest, cache
from conformance.runner.profiles import VALID_DRAWS
from support.fake_server import fake_server

TOKEN = "plugin-t0k"
SEED = "3"
# Timings, dates and the run's own clock differ between two runs of the same plan.
_TIMING_KEYS = {"total_s", "ttfb_s", "ttfe_s", "first_event_s", "per_second", "date", "duration_s"}
_TIMING_KEYS |= {"started_at", "finished_at"}


@pytest.fixture(scope="module")
def conformant() -> Iterator[str]:
    with fake_server(token=TOKEN) as url:
        yield url


@pytest.fixture(scope="module")
def too_many_tokens() -> Iterator[str]:
    with fake_server({"too_many_tokens"}, token=TOKEN) as url:
        yield url


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    for name in ("CLOUDFLARE_BASE_URL", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def suite(url: str, *extra: str) -> list[str]:
    """The documented command line of the suite, smoke profile, fixed seed."""
    return [
        "--pyargs",
        "conformance.suite",
        f"--conformance-base-url={url}",
        "--conformance-account-id=X",
        "--conformance-profile=smoke",
        f"--conformance-seed={SEED}",
        "-p",
        "no:cacheprovider",
        *extra,
    ]


def without_timings(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_timings(v) for k, v in node.items() if k not in _TIMING_KEYS}
    if isinstance(node, list):
        return [without_timings(v) for v in node]
    return node


def results(folder: Path) -> Any:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def cli_results(url: str, folder: Path, *extra: str) -> Any:
    args = ["run", "--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", SEED]
    outcome = CliRunner().invoke(main, [*args, "--report-dir", str(folder), *extra])
    assert outcome.exit_code in (0, 1), outcome.output
    return results(folder)


def test_the_suite_collects_one_item_per_case_and_scenario_with_readable_ids(
    pytester: pytest.Pytester, conformant: str
) -> None:
    result = pytester.runpytest(*suite(conformant, "--collect-only", "-q"))
    ids = [line for line in result.outlines if "::case[" in line]
    plan = cli_results(conformant, pytester.path / "cli")
    assert sorted(i.split("::", 1)[1] for i in ids) == sorted(f"case[{c['id']}]" for c in plan["cases"])
    assert "conformance/suite.py::case[boundary/stream-prompt]" in ids
    assert any("::case[scenario/" in i for i in ids)


def test_a_conformant_server_passes_and_the_reports_equal_the_clis(
    pytester: pytest.Pytester, conformant: str
) -> None:
    result = pytester.runpytest(*suite(conformant, "--conformance-report-dir=py", "--junitxml=items.xml"))
    result.assert_outcomes(passed=len(results(pytester.path / "py")["cases"]))
    result.stdout.fnmatch_lines(
        ["conformance: verdict pass, * cases and scenarios, * requests, 0 new failures"]
    )
    mine, theirs = results(pytester.path / "py"), cli_results(conformant, pytester.path / "cli")
    assert without_timings(mine) == without_timings(theirs)
    for name in ("junit.xml", "summary.md", "report.html"):
        assert (pytester.path / "py" / name).stat().st_size > 0
    assert "case[boundary/stream-prompt]" in (pytester.path / "items.xml").read_text()


def test_a_broken_server_fails_its_items_with_the_checks_received_expected_where(
    pytester: pytest.Pytester, too_many_tokens: str
) -> None:
    result = pytester.runpytest(*suite(too_many_tokens, "-k", "stream-prompt", "--conformance-report-dir=r"))
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and outcomes["deselected"] > 0 and "passed" not in outcomes
    result.stdout.fnmatch_lines(
        [
            "*case[[]boundary/stream-prompt[]]*",
            "boundary/stream-prompt: a Prompt body streamed",
            "sent {*}, got 200",
            "max_tokens_honoured (must) failed:",
            "    Received: usage.completion_tokens *",
            "    Expected: at most max_tokens=16 completion tokens",
            "    Where: usage.completion_tokens",
        ]
    )
    # -k sends only what it selects: the report holds that one case.
    assert [c["id"] for c in results(pytester.path / "r")["cases"]] == ["boundary/stream-prompt"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_items_sent_at_once_still_send_each_pair_alone_and_back_to_back(pytester: pytest.Pytester) -> None:
    # The suite's other items are in flight when a pair's turn comes; sent beside
    # them, the two requests of a pair have others between them and the fault hides.
    with fake_server({"reseeds_on_new_seed"}, token=TOKEN) as url:
        result = pytester.runpytest(*suite(url, "--conformance-report-dir=r"))
    failed = sorted(line.split(" ")[1] for line in result.outlines if line.startswith("FAILED "))
    assert failed == [
        "conformance/suite.py::case[scenario/same-seed-1]",
        "conformance/suite.py::case[scenario/same-seed-stream-1]",
        "conformance/suite.py::case[scenario/stream-agreement-1]",
    ], result.outlines[-12:]
    result.stdout.fnmatch_lines(
        ["*Received: texts that differ when the two requests were sent back-to-back, with nothing else*"]
    )
    assert results(pytester.path / "r")["verdict"] == "pass"  # should checks only, not --strict


def test_a_batching_server_fails_the_concurrent_item(pytester: pytest.Pytester) -> None:
    with fake_server({"batch_shares_generator"}, token=TOKEN) as url:
        result = pytester.runpytest(*suite(url, "-k", "concurrent or stream-prompt"))
    result.assert_outcomes(failed=1, passed=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(
        [
            "concurrent_answers_unchanged (must) failed:",
            "    Received: answers change when requests run concurrently: * alone: '*'; at once: '*'*",
        ]
    )


def test_the_suite_sends_the_model_literally_and_passes_a_server_routing_on_the_raw_path(
    pytester: pytest.Pytester,
) -> None:
    # Such a server (a Worker reading `new URL(request.url).pathname`, like the live API)
    # answers 400/5007 to `%40hf%2Fthebloke%2F...`.
    lines: list[str] = []
    with fake_server({"raw_path"}, token=TOKEN, request_lines=lines) as url:
        result = pytester.runpytest(*suite(url, "-k", "stream-prompt or unknown"))
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] >= 2 and "failed" not in outcomes, result.stdout.str()
    literal = f"POST /client/v4/accounts/X/ai/run/{MODEL} HTTP/1.1"
    assert literal in lines
    assert not [line for line in lines if "%40" in line or "%2F" in line]


QUOTING_CHECK = """\
from conformance import CheckFailure, NotApplicable, Observation, check


@check(id="quotes_the_answer", severity="must", description="Fails quoting the answer.", clause="tests")
def quotes_the_answer(observation: Observation) -> None:
    if observation.exchange.status != 200 or observation.exchange.stream is not None:
        raise NotApplicable
    raise CheckFailure(received=observation.exchange.text, expected="no answer at all")
"""


def test_an_items_message_quoting_an_echoed_token_shows_it_redacted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A common word as the token: a message is plain text, so it goes wherever the message has it.
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "true")
    pytester.makepyfile(quoting=QUOTING_CHECK)
    with fake_server({"echo_auth"}, token="true") as url:
        result = pytester.runpytest_subprocess(
            *suite(url, "-k", "prompt-minimal", "--conformance-checks-module=quoting.py")
        )
    assert result.parseoutcomes()["failed"] == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["quotes_the_answer (must) failed:", "*(you sent Bearer [[]REDACTED[]])*"])
    assert "true" not in result.stdout.str().split("quotes_the_answer (must) failed:", 1)[1]


def test_last_failed_reruns_exactly_the_failures_and_failed_first_orders_them_first(
    pytester: pytest.Pytester, too_many_tokens: str
) -> None:
    with_cache = [arg for arg in suite(too_many_tokens) if arg not in ("-p", "no:cacheprovider")]
    first = pytester.runpytest(*with_cache)
    failed = sorted(json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text()))
    passed = first.parseoutcomes()["passed"]
    assert len(failed) == first.parseoutcomes()["failed"] and passed > 0

    rerun = pytester.runpytest(*with_cache, "--lf", "-v")
    rerun.assert_outcomes(failed=len(failed), deselected=passed)
    rerun.stdout.fnmatch_lines([f"run-last-failure: rerun previous {len(failed)} failures"])
    assert sorted(line.split(" ", 1)[0] for line in rerun.outlines if " FAILED " in line) == failed

    first_ones = pytester.runpytest(*with_cache, "--ff", "-v")
    ran = [line.split(" ", 1)[0] for line in first_ones.outlines if " PASSED " in line or " FAILED " in line]
    assert sorted(ran[: len(failed)]) == failed and len(ran) == len(failed) + passed


def test_markers_select_by_kind_and_stream(pytester: pytest.Pytester, conformant: str) -> None:
    result = pytester.runpytest(
        *suite(conformant, "-m", "invalid and nonstream", "--conformance-report-dir=r")
    )
    ids = [c["id"] for c in results(pytester.path / "r")["cases"]]
    assert ids and all(i.startswith("invalid/") for i in ids)
    assert result.parseoutcomes()["passed"] == len(ids) and result.parseoutcomes()["deselected"] > 0
    streamed = pytester.runpytest(*suite(conformant, "-m", "stream", "--collect-only", "-q"))
    # scenario/concurrent-1 sends streamed and non-streamed requests: it is a stream item too.
    selected = [line for line in streamed.outlines if "::case[" in line]
    assert all("stream" in line or "::case[scenario/concurrent-" in line for line in selected)


def test_a_should_failure_warns_unless_strict(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = default\n")
    with fake_server({"bad_usage"}, token=TOKEN) as url:
        lenient = pytester.runpytest(*suite(url, "-k", "prompt-every-option"))
        strict = pytester.runpytest(*suite(url, "-k", "prompt-every-option", "--conformance-strict"))
    lenient.assert_outcomes(passed=1, warnings=1)
    lenient.stdout.fnmatch_lines(["*ShouldFailureWarning: boundary/prompt-every-option*"])
    strict.assert_outcomes(failed=1)
    strict.stdout.fnmatch_lines(["usage_consistent (should) failed:", "    Received: *"])


def test_baseline_entries_are_strict_xfails_and_a_fixed_one_fails_loudly(
    pytester: pytest.Pytester, too_many_tokens: str, conformant: str
) -> None:
    baseline = pytester.path / "baseline.json"
    cli_results(too_many_tokens, pytester.path / "cli", "--baseline", str(baseline), "--update-baseline")
    accepted = {e["case_id"] for e in json.loads(baseline.read_text())["accepted"]}

    broken = pytester.runpytest(*suite(too_many_tokens, f"--conformance-baseline={baseline}", "-rx"))
    outcomes = broken.parseoutcomes()
    assert outcomes["xfailed"] == len(accepted) and "failed" not in outcomes
    broken.stdout.fnmatch_lines(["XFAIL *::case[[]*] - baseline: max_tokens_honoured: Received: *"])

    fixed = pytester.runpytest(*suite(conformant, f"--conformance-baseline={baseline}"))
    assert fixed.parseoutcomes()["failed"] == len(accepted)
    fixed.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] baseline: max_tokens_honoured*"])


def test_an_untestable_target_fails_with_the_reason_and_reports_exit_3(pytester: pytest.Pytester) -> None:
    with fake_server({"refuse_all_auth"}, token=TOKEN) as url:
        result = pytester.runpytest(*suite(url, "-x", "--conformance-report-dir=r"))
    result.stdout.fnmatch_lines(["*the target could not be tested: the target refused the token with 401*"])
    document = results(pytester.path / "r")
    assert document["verdict"] == "error" and document["exit_code"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conformance-profile=fast"], "--conformance-profile='fast' is not one of smoke, standard, full"),
        (["--conformance-seed=abc"], "--conformance-seed='abc' is not an integer"),
        (["--conformance-check=nope"], "--conformance-check='nope' is not a registered check*"),
        (["--conformance-concurrency=0"], "--conformance-concurrency=0 is not between 1 and 256"),
        (
            ["--conformance-schema-version=2025"],
            "--conformance-schema-version='2025' is not one of page-2024, docs-2025-01",
        ),
        (
            ["--conformance-idle-timeout=0"],
            "--conformance-idle-timeout=0.0 is not a positive number of seconds",
        ),
        (["--conformance-idle-timeout=soon"], "--conformance-idle-timeout='soon' is not a number of seconds"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, conformant: str, args: list[str], message: str
) -> None:
    result = pytester.runpytest(*suite(conformant), *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_ini_keys_and_environment_variables_configure_the_suite(
    pytester: pytest.Pytester, conformant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(f"[pytest]\nconformance_base_url = {conformant}\nconformance_profile = smoke\n")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "X")
    result = pytester.runpytest(
        "--pyargs", "conformance.suite", "-k", "stream-prompt", "-p", "no:cacheprovider"
    )
    assert result.parseoutcomes()["passed"] == 1
    pytester.makeini("[pytest]\nconformance_strict = perhaps\n")
    bad = pytester.runpytest("--pyargs", "conformance.suite")
    bad.stderr.fnmatch_lines(["ERROR: conformance_strict (ini)='perhaps' is not true or false"])


def test_the_runners_usage_errors_name_the_ini_key_or_variable_that_was_set(
    pytester: pytest.Pytester, conformant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner raises a structured error (option, value, problem); the plugin words it with
    # where the user set the value, and other options it mentions by the plugin's flags.
    pytester.makeini(f"[pytest]\nconformance_base_url = {conformant}\nconformance_profile = fast\n")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "X")
    ini = pytester.runpytest("--pyargs", "conformance.suite", "-p", "no:cacheprovider")
    assert ini.ret == pytest.ExitCode.USAGE_ERROR
    ini.stderr.fnmatch_lines(["ERROR: conformance_profile (ini)='fast' is not one of smoke, standard, full"])
    pytester.makeini(f"[pytest]\nconformance_base_url = {conformant}\n")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "a/b")
    env = pytester.runpytest("--pyargs", "conformance.suite", "-p", "no:cacheprovider")
    env.stderr.fnmatch_lines(["ERROR: $CLOUDFLARE_ACCOUNT_ID='a/b' is not an account id: *"])


def test_no_cache_draws_afresh_from_the_option_or_the_ini_key(
    pytester: pytest.Pytester, conformant: str
) -> None:
    planted = {"prompt": "planted"}
    entry = cache.entry_path(int(SEED), VALID_DRAWS["smoke"], schema_version(None))
    cache.store(entry, {body_digest(planted): planted, body_digest({"prompt": "two"}): {"prompt": "two"}})
    planted_item = f"case[valid/{body_digest(planted)}]"

    def collected(*extra: str) -> str:
        return pytester.runpytest(*suite(conformant, "--collect-only", "-q", *extra)).stdout.str()

    assert planted_item in collected()
    assert planted_item not in collected("--conformance-no-cache")
    pytester.makeini("[pytest]\nconformance_no_cache = true\n")
    assert planted_item not in collected()


def test_the_suite_follows_the_schema_version_an_option_or_ini_key_names(pytester: pytest.Pytester) -> None:
    with fake_server({"serves_docs_2025_01"}, token=TOKEN) as url:
        page = pytester.runpytest(*suite(url, "-k", "image-bytes"))
        later = pytester.runpytest(
            *suite(url, "--conformance-schema-version=docs-2025-01", "--conformance-report-dir=r")
        )
        pytester.makeini("[pytest]\nconformance_schema_version = docs-2025-01\n")
        from_ini = pytester.runpytest(*suite(url, "-k", "image"))
    assert page.parseoutcomes()["failed"] >= 1
    later.assert_outcomes(passed=len(results(pytester.path / "r")["cases"]))
    later.stdout.fnmatch_lines(["conformance: smoke profile against *, schema version docs-2025-01"])
    assert results(pytester.path / "r")["toolkit"]["schema_version"] == "docs-2025-01"
    # The later version has no image cases: -k image selects nothing to send.
    assert from_ini.ret == pytest.ExitCode.NO_TESTS_COLLECTED and "failed" not in from_ini.parseoutcomes()


def test_the_idle_timeout_ini_key_cuts_a_stalled_stream(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconformance_idle_timeout = 0.5\n")
    with fake_server({"stall_streams_midway"}, token=TOKEN) as url:
        result = pytester.runpytest(*suite(url, "-k", "stream and not scenario"))
    result.stdout.fnmatch_lines(["*stalled after 2 events: no bytes for 0.5 s*"])
    assert result.parseoutcomes()["failed"] >= 1


def test_collecting_the_suite_without_a_target_says_how_to_name_one(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--pyargs", "conformance.suite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: no target to test: pass --conformance-base-url URL*"])


USER_TESTS = """
from hypothesis import given, settings
from conformance.pytest_plugin import assert_conforms
from conformance.strategies import valid_requests

def test_hello(conformance_client, conformance_target):
    exchange = conformance_client.send({"prompt": "Hello", "max_tokens": 4})
    assert exchange.status == 200 and conformance_target.account_id == "X"
    assert_conforms(exchange)

@settings(max_examples=200, deadline=None, database=None)
@given(body=valid_requests())
def test_every_valid_body(conformance_client, body):
    assert_conforms(conformance_client.send(body))
"""


def test_users_own_tests_judge_exchanges_and_hypothesis_shrinks_a_failure(
    pytester: pytest.Pytester, conformant: str, too_many_tokens: str
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    target = ["--conformance-account-id=X", "-p", "no:cacheprovider"]
    good = pytester.runpytest(f"--conformance-base-url={conformant}", *target)
    good.assert_outcomes(passed=2)
    bad = pytester.runpytest(f"--conformance-base-url={too_many_tokens}", *target)
    bad.assert_outcomes(failed=2)
    bad.stdout.fnmatch_lines(
        [
            "*ConformanceFailure: valid/test-*: a body sent by a test",
            '*sent {"prompt": "0", "max_tokens": 1}, got 200',
            "*max_tokens_honoured (must) failed:",
            "*Received: usage.completion_tokens *",
            "*Expected: at most max_tokens=1 completion tokens",
        ]
    )


def _subprocess_pytest(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return completed.stdout + completed.stderr


def test_an_unrelated_run_does_not_import_the_toolkit(pytester: pytest.Pytester) -> None:
    # The entry point lives in the package: its lazy top level, the plugin package and the
    # option table load, nothing more of the toolkit.
    pytester.makepyfile(
        test_other="""
import sys

def test_light():
    loaded = sorted(m for m in sys.modules if m.startswith("conformance"))
    assert loaded == [
        "conformance", "conformance.options", "conformance.pytest_plugin", "conformance.pytest_plugin.entry"
    ], loaded
"""
    )
    output = _subprocess_pytest(pytester.path, "-q", "-p", "no:cacheprovider")
    assert "1 passed" in output, output


def test_the_entry_point_imports_neither_hypothesis_nor_httpx_nor_jsonschema_rs(
    pytester: pytest.Pytester,
) -> None:
    # Other installed plugins (schemathesis's, Hypothesis's) import those themselves, so the
    # entry point is loaded alone here.
    pytester.makepyfile(
        test_other="""
import sys

def test_light():
    heavy = [m for m in ("hypothesis", "httpx", "jsonschema_rs") if m in sys.modules]
    assert not heavy, heavy
    assert "conformance.pytest_plugin.entry" in sys.modules
"""
    )
    output = _subprocess_pytest(
        pytester.path,
        "-q",
        "-p",
        "conformance.pytest_plugin.entry",
        "-p",
        "no:cacheprovider",
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert "1 passed" in output, output


@pytest.mark.slow
def test_xdist_workers_merge_into_the_reports_of_one_run(
    pytester: pytest.Pytester, too_many_tokens: str
) -> None:
    # Each worker hashes strings with its own random seed; xdist refuses to run
    # when two workers collect different items, so this passing proves collection agrees.
    output = _subprocess_pytest(
        pytester.path,
        *suite(too_many_tokens, "-n", "2", "--conformance-report-dir=xdist", "-q"),
        env={"PYTHONHASHSEED": "random"},
    )
    assert "bringing up nodes" in output and "Different tests were collected" not in output, output
    merged = results(pytester.path / "xdist")
    alone = cli_results(too_many_tokens, pytester.path / "cli")
    assert without_timings(merged) == without_timings(alone)
    assert merged["verdict"] == "fail"


@pytest.mark.slow
def test_the_suite_against_the_embedded_reference_server_under_xdist(pytester: pytest.Pytester) -> None:
    output = _subprocess_pytest(
        pytester.path,
        "--pyargs",
        "conformance.suite",
        "--conformance-embedded",
        "--conformance-profile=smoke",
        f"--conformance-seed={SEED}",
        "--conformance-report-dir=r",
        "-n",
        "2",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    document = results(pytester.path / "r")
    assert document["verdict"] == "pass", output
    assert document["target"]["embedded"] is True
    assert f"{len(document['cases'])} passed" in output, output


@pytest.mark.slow
def test_users_tests_against_the_embedded_server_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
from conformance.pytest_plugin import assert_conforms

def test_embedded(conformance_server, conformance_client, conformance_target):
    assert conformance_target.base_url == conformance_server
    assert_conforms(conformance_client.send({"prompt": "Hello", "max_tokens": 4, "stream": True}))
    assert_conforms(conformance_client.send({"prompt": ""}))
"""
    )
    output = _subprocess_pytest(pytester.path, "--conformance-embedded", "-q", "-p", "no:cacheprovider")
    assert "1 passed" in output, output
