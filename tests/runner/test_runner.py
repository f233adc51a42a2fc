"""The runner as a library: config validation, events, verdicts, baselines, recordings and replay."""

from __future__ import annotations

import json
import math
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import RunFacts
from conformance.errors import UsageError
from conformance.runner import (
    ItemFinished,
    RunConfig,
    RunFinished,
    RunResult,
    RunStarted,
    replay,
    results_document,
    run,
    write_artifacts,
)
from conformance.runner._driver import plan
from conformance.transport import TransportSettings
from support.fake_server import fake_server
from support.samples import TOKEN, small_cases

URL = "http://127.0.0.1:8787/client/v4"


def plan_of(config: RunConfig) -> list[Any]:
    return plan(config, config.selected_checks(), RunFacts())[0]


def finish(events: Any) -> RunResult:
    final = list(events)[-1]
    assert isinstance(final, RunFinished)
    return final.result


def run_fake(faults: set[str] = set(), **options: Any) -> RunResult:  # noqa: B006
    with fake_server(faults, token=TOKEN) as url:
        options.setdefault("cases", small_cases())
        return finish(run(RunConfig(base_url=url, account_id="X", token=TOKEN, seed=3, **options)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "fast"}, "--profile='fast' is not one of smoke, standard, full"),
        ({"base_url": "localhost:8787"}, "--base-url='localhost:8787' is not an http:// or https:// URL"),
        ({"account_id": ""}, "--account-id='' is not an account id"),
        ({"concurrency": 0}, "--concurrency=0 is not between 1 and 256"),
        ({"seed": -1}, "--seed=-1 is not an integer"),
        ({"update_baseline": True}, "--update-baseline needs --baseline FILE"),
        ({"baseline": Path("/nonexistent/b.json")}, "--baseline='/nonexistent/b.json' does not exist"),
        ({"checks": ("nope",)}, "--check='nope' is not a registered check"),
        ({"transport": TransportSettings(read_timeout_s=0)}, "--timeout=0 is not a positive number"),
        ({"transport": TransportSettings(read_timeout_s=-1.5)}, "--timeout=-1.5 is not a positive"),
        ({"transport": TransportSettings(read_timeout_s=math.inf)}, "--timeout=inf is not a positive"),
        ({"transport": TransportSettings(connect_timeout_s=math.nan)}, "--connect-timeout=nan is not a"),
    ],
)
def test_bad_config_values_are_usage_errors_naming_option_and_value(
    options: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"base_url": URL, "account_id": "X", **options}
    with pytest.raises(UsageError) as info:
        RunConfig(**arguments)
    assert message in str(info.value)


def test_the_token_is_not_in_the_config_repr_and_a_seed_is_always_drawn() -> None:
    config = RunConfig(base_url=URL, account_id="X", token=TOKEN)
    assert TOKEN not in repr(config) and isinstance(config.seed, int)


def test_events_come_in_order_with_every_item() -> None:
    with fake_server(token=TOKEN) as url:
        events = list(run(RunConfig(base_url=url, account_id="X", token=TOKEN, seed=3, cases=small_cases())))
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    finished = [e for e in events if isinstance(e, ItemFinished)]
    assert len(finished) == events[0].total == len(events[-1].result.cases)
    assert [e.index for e in finished] == list(range(1, len(finished) + 1))


def test_the_same_seed_plans_the_same_run() -> None:
    first = plan_of(RunConfig(base_url=URL, account_id="X", token=TOKEN, seed=11, profile="smoke"))
    again = plan_of(RunConfig(base_url=URL, account_id="X", token=TOKEN, seed=11, profile="smoke"))
    other = plan_of(RunConfig(base_url=URL, account_id="X", token=TOKEN, seed=12, profile="smoke"))
    assert first == again and first != other


def test_an_unreachable_target_is_untestable_with_a_reason() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = RunConfig(base_url=f"http://127.0.0.1:{port}/client/v4", account_id="X", cases=small_cases())
    result = finish(run(config))
    assert result.verdict == "error" and result.exit_code == 3
    assert result.reason and "unreachable" in result.reason


def test_a_target_refusing_every_token_is_untestable() -> None:
    result = run_fake({"refuse_all_auth"})
    assert (
        result.verdict == "error" and result.exit_code == 3 and "refused the token" in (result.reason or "")
    )


def test_results_json_follows_format_version_2(tmp_path: Path) -> None:
    result = run_fake({"bad_result"})
    document = results_document(result)
    assert document["format"] == "workers-ai-conformance/results" and document["format_version"] == 2
    assert document["load"] is None  # only `conformance load` fills it
    assert document["differences"] is None  # set by `conformance diff` only
    assert document["verdict"] == "fail" and document["exit_code"] == 1 and document["seed"] == 3
    assert set(document) >= {
        "reason",
        "toolkit",
        "target",
        "profile",
        "strict",
        "started_at",
        "finished_at",
        "duration_s",
        "counts",
        "checks",
        "cases",
        "baseline",
    }
    assert document["target"]["auth"] == "bearer" and "token" not in json.dumps(document["target"])
    assert set(document["counts"]) == {
        "cases",
        "requests",
        "retries",
        "cases_passed",
        "cases_failed",
        "cases_error",
        "checks_passed",
        "checks_failed",
        "checks_skipped",
        "checks_error",
        "failures",
        "new_failures",
        "baselined",
        "fixed",
    }
    failing = next(c for c in document["checks"] if c["id"] == "result_conformance")
    assert failing["status"] == "failed" and failing["failures"][0]["message"].startswith("Received:")
    by_id = {c["id"]: c for c in document["cases"]}
    invalid = by_id["invalid/temperature-maximum"]
    assert invalid["expect"] == "reject" and invalid["violates"] == {
        "pointer": "/temperature",
        "keyword": "maximum",
    }
    streamed = by_id["boundary/stream"]
    assert streamed["class"] == "streaming" and streamed["stream"] is True
    stream = streamed["exchanges"][0]["response"]["stream"]
    assert stream["done"] and stream["transcript"][-1]["data"] == "[DONE]" and streamed["timing"]["ttfe_s"]
    exchange = by_id["valid/prompt"]["exchanges"][0]
    assert exchange["request"]["headers"]["authorization"] == "Bearer [REDACTED]"
    assert (
        exchange["response"]["body"]["success"] is True and by_id["valid/prompt"]["tokens"]["completion"] == 8
    )
    write_artifacts(result, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == json.loads(json.dumps(document))


def test_junit_has_one_testcase_per_case_and_check(tmp_path: Path) -> None:
    result = run_fake({"bad_result"})
    write_artifacts(result, tmp_path)
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    testcases = suite.findall("testcase")
    assert len(testcases) == sum(len(c.checks) for c in result.cases) == int(suite.get("tests", "-1"))
    failed = [t for t in testcases if t.find("failure") is not None]
    assert {(t.get("classname"), t.get("name")) for t in failed} == {
        ("result_conformance", "valid/prompt"),
        ("result_conformance", "boundary/seed-max"),
        ("result_conformance", "valid/messages"),
    }
    assert suite.get("failures") == "3"
    summary = (tmp_path / "summary.md").read_text()
    assert "FAIL" in summary and "`result_conformance` (must)" in summary and "Received:" in summary


def test_baseline_round_trip(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    broken = run_fake({"bad_result"}, baseline=baseline, update_baseline=True)
    assert broken.exit_code == 0 and baseline.is_file() and broken.counts["baselined"] == 3
    accepted = run_fake({"bad_result"}, baseline=baseline)
    assert (
        accepted.exit_code == 0 and accepted.counts["new_failures"] == 0 and accepted.counts["baselined"] == 3
    )
    new = run_fake({"bad_result", "bad_error_envelope"}, baseline=baseline)
    assert new.exit_code == 1 and {f.check_id for f in new.new_failures} == {
        "error_envelope_conformance",
        "error_envelope_on_every_status",  # the fault breaks every error's envelope
    }
    fixed = run_fake(set(), baseline=baseline)
    assert fixed.exit_code == 0 and fixed.baseline is not None and len(fixed.baseline.fixed) == 3
    assert fixed.counts["fixed"] == 3


def test_a_malformed_baseline_is_a_usage_error(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text("[]")
    with pytest.raises(UsageError, match="is not a baseline file"):
        run_fake(baseline=baseline)


def test_record_and_replay_round_trip(tmp_path: Path) -> None:
    recording = tmp_path / "capture.jsonl"
    live = run_fake({"bad_usage"}, record=recording, strict=True)
    assert TOKEN not in recording.read_text()
    replayed = finish(replay(recording, strict=True))
    assert replayed.exit_code == live.exit_code == 1
    assert [(c.id, c.checks) for c in replayed.cases] == [(c.id, c.checks) for c in live.cases]
    assert [f.message for f in replayed.failures] == [f.message for f in live.failures]
    excluded = finish(replay(recording, strict=True, exclude_checks=["usage_consistent"]))
    assert excluded.exit_code == 0


def test_a_scenario_s_follow_ups_are_recorded_and_replayed(tmp_path: Path) -> None:
    recording = tmp_path / "capture.jsonl"
    live = run_fake({"counts_utf16"}, record=recording, cases=(), checks=("length_counts_code_points",))
    sent = {c.id: len(c.exchanges) for c in live.cases}
    assert sent == {"scenario/length-prompt": 8, "scenario/length-content": 8}  # 4 alphabets, 4 follow-ups
    replayed = finish(replay(recording))
    assert {c.id: len(c.exchanges) for c in replayed.cases} == sent
    assert [f.message for f in replayed.failures] == [f.message for f in live.failures]
    assert all("counts UTF-16 units" in f.message for f in live.failures)


def test_a_route_to_another_model_is_recorded_and_replayed(tmp_path: Path) -> None:
    recording = tmp_path / "capture.jsonl"
    live = run_fake({"accept_unknown_model"}, record=recording, cases=(), checks=("unknown_model_rejected",))
    assert live.exit_code == 1 and "no-such-model" in recording.read_text()
    replayed = finish(replay(recording))
    assert [f.message for f in replayed.failures] == [f.message for f in live.failures]


def test_replay_of_something_else_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(UsageError, match="is not a recording"):
        list(replay(path))


def test_replay_of_a_run_without_a_token_skips_auth_for_the_same_reason(tmp_path: Path) -> None:
    recording = tmp_path / "capture.jsonl"
    with fake_server() as url:
        config = RunConfig(base_url=url, account_id="X", seed=3, cases=small_cases(), record=recording)
        live = finish(run(config))
    replayed = finish(replay(recording))
    reasons = [
        next(c.skip_reason for c in r.checks if c.check.id == "auth_enforced") for r in (live, replayed)
    ]
    assert reasons[0] == reasons[1] and reasons[0] and "no token" in reasons[0]


def test_redact_secrets_replaces_every_secret_and_skips_empty_ones() -> None:
    from conformance.runner.results import redact_secrets

    assert redact_secrets("a tok b tok", ["tok", ""]) == "a [REDACTED] b [REDACTED]"
    assert redact_secrets("nothing", []) == "nothing"
