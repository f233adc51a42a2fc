"""`conformance run` and `conformance replay` driven as a user would, against loopback servers."""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import schema_version
from conformance.generation import body_digest, cache
from conformance.runner import RunConfig, plan_run
from conformance.runner.profiles import VALID_DRAWS
from support import processes
from support.fake_server import fake_server
from support.samples import TOKEN

conformance = partial(processes.conformance, token=TOKEN)


def test_a_conformant_server_passes_with_exit_0_and_reports_in_reports_latest(tmp_path: Path) -> None:
    with fake_server(token=TOKEN) as url:
        done = conformance(
            "run", "--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5", cwd=tmp_path
        )
    assert done.returncode == 0, done.stderr
    assert "seed 5" in done.stderr and done.stdout.startswith("PASS")
    # Nothing but the run's own lines: no traceback, no generator left for the loop to close.
    assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink()
    results = json.loads((latest / "results.json").read_text())
    assert results["verdict"] == "pass" and results["exit_code"] == 0 and results["seed"] == 5
    assert results["profile"] == "smoke" and results["target"]["account_id"] == "X"
    assert ET.parse(latest / "junit.xml").getroot().tag == "testsuites"
    assert (latest / "summary.md").read_text().startswith("# Workers AI conformance: PASS")
    assert "The target conforms" in (latest / "report.html").read_text()


def test_a_broken_server_fails_with_exit_1_and_names_the_check(tmp_path: Path) -> None:
    with fake_server({"bad_error_envelope"}, token=TOKEN) as url:
        done = conformance(
            "run",
            "--base-url",
            url,
            "--account-id",
            "X",
            "--profile",
            "smoke",
            "--report-dir",
            "out",
            cwd=tmp_path,
        )
    assert done.returncode == 1, done.stderr
    assert "error_envelope_conformance" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    check = next(c for c in results["checks"] if c["id"] == "error_envelope_conformance")
    assert results["verdict"] == "fail" and check["status"] == "failed" and check["failures"]
    assert "error_envelope_conformance" in (tmp_path / "out" / "summary.md").read_text()
    assert "error_envelope_conformance" in (tmp_path / "out" / "report.html").read_text()
    assert not (tmp_path / "reports").exists()


def test_a_batching_server_fails_with_both_texts_in_every_report(tmp_path: Path) -> None:
    with fake_server({"batch_leaks_parameters"}, token=TOKEN) as url:
        done = conformance(
            "run",
            *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
            *("--concurrency", "3", "--check", "concurrent_answers_unchanged", "--report-dir", "out"),
            cwd=tmp_path,
        )
    assert done.returncode == 1, done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    (check,) = [c for c in results["checks"] if c["id"] == "concurrent_answers_unchanged"]
    (message,) = [f["message"] for f in check["failures"]]
    assert message.startswith("Received: answers change when requests run concurrently: ")
    assert "given with 3 requests in flight" in message
    assert re.search(r" alone: '[^']+'; at once: '[^']+' \(they differ at character \d+", message)
    for report in ("summary.md", "report.html"):
        assert "answers change when requests run concurrently" in (tmp_path / "out" / report).read_text()


def test_the_help_names_every_report_file_a_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CI", "1")
    with fake_server(token=TOKEN) as url:
        args = ["run", "--base-url", url, "--account-id", "X", "--profile", "smoke", "--report-dir", "out"]
        outcome = CliRunner().invoke(main, args, env={"CLOUDFLARE_API_TOKEN": TOKEN})
    assert outcome.exit_code == 0, outcome.output
    written = {path.name for path in (tmp_path / "out").iterdir()}
    named = set(
        re.findall(r"[a-z]+\.(?:json|xml|md|html)", CliRunner().invoke(main, ["run", "--help"]).output)
    )
    assert written == named == {"results.json", "junit.xml", "summary.md", "report.html"}


def test_excluding_the_failing_check_passes(tmp_path: Path) -> None:
    with fake_server({"bad_error_envelope"}, token=TOKEN) as url:
        done = conformance(
            "run",
            "--base-url",
            url,
            "--account-id",
            "X",
            "--profile",
            "smoke",
            "--exclude-check",
            "error_envelope_conformance",
            "--exclude-check",
            "error_envelope_on_every_status",  # the fault breaks every error's envelope
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_cache_neither_reads_nor_writes_the_catalogue_cache(tmp_path: Path) -> None:
    """A planted entry for the run's seed is sent without --no-cache, ignored and left alone with it."""
    planted = [{"prompt": "planted one"}, {"prompt": "planted two"}]
    entry = cache.entry_path(5, VALID_DRAWS["smoke"], schema_version(None))
    cache.store(entry, {body_digest(body): body for body in planted})
    os.utime(entry, (1_000_000, 1_000_000))
    planted_ids = {f"valid/{body_digest(body)}" for body in planted}

    def valid_ids(*extra: str) -> set[str]:
        with fake_server(token=TOKEN) as url:
            done = conformance(
                "run",
                *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
                *("--report-dir", "out", *extra),
                cwd=tmp_path,
            )
        assert done.returncode == 0, done.stderr
        results = json.loads((tmp_path / "out" / "results.json").read_text())
        return {case["id"] for case in results["cases"] if case["id"].startswith("valid/")}

    drawn = valid_ids("--no-cache")
    assert len(drawn) == 2 and not drawn & planted_ids
    assert list(entry.parent.iterdir()) == [entry] and entry.stat().st_mtime == 1_000_000
    assert valid_ids() == planted_ids  # the same run without --no-cache reads the entry


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "fast"], "--profile='fast' is not one of smoke, standard, full"),
        (["--check", "nope"], "--check='nope' is not a registered check"),
        (["--concurrency", "0"], "--concurrency=0 is not between 1 and 256"),
        (["--update-baseline"], "--update-baseline needs --baseline FILE"),
        (["--cloudflare"], "--cloudflare and --base-url="),
    ],
)
def test_usage_errors_exit_2_with_the_option_and_value(args: list[str], message: str) -> None:
    # In process (click's runner) to keep the suite fast; the subprocess tests cover the entry point.
    outcome = CliRunner().invoke(
        main, ["run", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X", *args]
    )
    assert outcome.exit_code == 2 and message in outcome.output, outcome.output
    assert " run [OPTIONS]" in outcome.output  # the usage line names the subcommand


def test_a_missing_account_id_is_a_usage_error(tmp_path: Path) -> None:
    done = conformance("run", "--base-url", "http://127.0.0.1:9/client/v4", cwd=tmp_path)
    assert done.returncode == 2 and "--account-id is required" in done.stderr


def test_without_a_base_url_and_no_embedded_server_it_says_to_pass_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "conformance.server.embedded", None)  # the import then fails
    outcome = CliRunner().invoke(main, ["run", "--account-id", "X"], env={"CLOUDFLARE_BASE_URL": None})
    assert outcome.exit_code == 2 and "pass --base-url" in outcome.output


def test_an_unreachable_target_exits_3_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = conformance(
        "run",
        "--base-url",
        f"http://127.0.0.1:{port}/client/v4",
        "--account-id",
        "X",
        "--report-dir",
        "out",
        cwd=tmp_path,
    )
    assert done.returncode == 3 and "unreachable" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["verdict"] == "error" and results["exit_code"] == 3 and "unreachable" in results["reason"]


def test_the_token_appears_in_no_artefact_even_when_the_server_echoes_it(tmp_path: Path) -> None:
    with fake_server({"echo_auth", "bad_usage"}, token=TOKEN) as url:
        done = conformance(
            "run",
            "--base-url",
            url,
            "--account-id",
            "X",
            "--profile",
            "smoke",
            "--record",
            "capture.jsonl",
            "--baseline",
            "baseline.json",
            "--update-baseline",
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    replayed = conformance("replay", "capture.jsonl", "--report-dir", "replayed", cwd=tmp_path, token=None)
    assert replayed.returncode == 0, replayed.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"results.json", "junit.xml", "summary.md", "capture.jsonl", "baseline.json"} <= {
        p.name for p in files
    }
    assert "(you sent Bearer [REDACTED])" in (tmp_path / "capture.jsonl").read_text()
    for text in [done.stdout, done.stderr, replayed.stdout, replayed.stderr]:
        assert TOKEN not in text
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


def server_texts(document: object) -> list[str]:
    """Every `result.response` a JSON response body holds, anywhere in a report or recording."""
    found: list[str] = []
    if isinstance(document, dict):
        result = document.get("result")
        if isinstance(result, dict) and isinstance(result.get("response"), str):
            found.append(result["response"])
        for value in document.values():
            found += server_texts(value)
    elif isinstance(document, list):
        for value in document:
            found += server_texts(value)
    return found


QUOTING_CHECK = """\
from conformance import CheckFailure, NotApplicable, Observation, check


@check(id="quotes_the_answer", severity="must", description="Fails quoting the answer.", clause="tests")
def quotes_the_answer(observation: Observation) -> None:
    if observation.exchange.status != 200 or observation.exchange.stream is not None:
        raise NotApplicable
    raise CheckFailure(received=observation.exchange.text, expected="no answer at all")
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "token", ["e", 'q"u\\o', "true", "result"], ids=["one-char", "escaped", "true", "result"]
)
def test_a_token_echoed_back_leaves_valid_reports_without_it_whatever_the_token(
    tmp_path: Path, token: str
) -> None:
    # One character, one JSON escapes (the fake writes it as q\"u\\o), common words that are
    # also JSON syntax and keys: each is taken out of values, never out of keys or syntax.
    # The check quotes each answer, so the echo reaches messages, junit.xml and the terminal too.
    (tmp_path / "quoting.py").write_text(QUOTING_CHECK)
    mine = ("--checks-module", "quoting.py")
    with fake_server({"echo_auth"}, token=token) as url:
        args = ("--base-url", url, "--account-id", "X", "--profile", "smoke", *mine)
        failing = conformance(
            "run", *args, "--report-dir", "failing", "--record", "capture.jsonl", cwd=tmp_path, token=token
        )
        accepted = conformance(
            "run", *args, "--report-dir", "accepted", "--baseline", "baseline.json", "--update-baseline",
            cwd=tmp_path, token=token,
        )  # fmt: skip
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    replayed = conformance(
        "replay", "capture.jsonl", *mine, "--report-dir", "replayed", cwd=tmp_path, token=None
    )
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr  # the same verdict, offline

    lines = (tmp_path / "capture.jsonl").read_text(encoding="utf-8").split("\n")  # JSON may hold U+2028
    recording = [json.loads(line) for line in lines if line]
    bodies = [
        json.loads(e["body_text"])
        for line in recording[1:]
        for e in line["exchanges"]
        if e["status"] == 200 and e.get("body_text", "").startswith("{")
    ]
    assert bodies and all(body["success"] is True and "result" in body for body in bodies)  # syntax, keys
    texts = server_texts(bodies)
    messages = [e["message"] for e in json.loads((tmp_path / "baseline.json").read_text())["accepted"]]
    for folder in ("failing", "accepted", "replayed"):
        results = json.loads((tmp_path / folder / "results.json").read_text(encoding="utf-8"))
        texts += server_texts(results)
        messages += [f["message"] for c in results["checks"] for f in c["failures"]]
        junit = ET.parse(tmp_path / folder / "junit.xml").getroot()
        messages += [e.get("message", "") for e in junit.iter() if e.tag in ("failure", "skipped")]
        assert (tmp_path / folder / "summary.md").read_text(encoding="utf-8").startswith("# Workers AI")
        assert (tmp_path / folder / "report.html").is_file()
    # A token this short is redacted where it stands alone (docs/runner.md, "The token").
    alone = re.compile(rf"(?<!\w){re.escape(token)}(?!\w)")
    assert texts and all(not alone.search(text) and text.endswith("[REDACTED])") for text in texts)
    # As the server wrote it (JSON escapes it) and as it decodes, each just before the echo's ")".
    echoes = {f"{token})", f"{json.dumps(token)[1:-1]})"}
    quoting = [m for m in messages if "[REDACTED])" in m]
    assert len(quoting) > 10 and not [m for m in messages if any(echo in m for echo in echoes)]
    assert "[REDACTED])" in failing.stdout
    for output in (failing, accepted, replayed):
        assert not any(echo in output.stdout + output.stderr for echo in echoes)


def test_record_then_replay_gives_the_same_verdict(tmp_path: Path) -> None:
    with fake_server({"bad_result"}, token=TOKEN) as url:
        live = conformance(
            "run",
            "--base-url",
            url,
            "--account-id",
            "X",
            "--profile",
            "smoke",
            "--record",
            "capture.jsonl",
            "--report-dir",
            "live",
            cwd=tmp_path,
        )
    replayed = conformance("replay", "capture.jsonl", "--report-dir", "replayed", cwd=tmp_path)
    assert live.returncode == replayed.returncode == 1
    live_checks = json.loads((tmp_path / "live" / "results.json").read_text())["checks"]
    replayed_checks = json.loads((tmp_path / "replayed" / "results.json").read_text())["checks"]
    assert [(c["id"], c["status"]) for c in live_checks] == [(c["id"], c["status"]) for c in replayed_checks]


def test_embedded_default_without_the_model_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process so that transformers can be hidden; the real import machinery
    # then fails exactly as it does where the model extra is not installed.
    import sys

    from click.testing import CliRunner

    from conformance.cli import main

    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "--profile", "smoke"])
    assert result.exit_code == 3, result.output
    assert "pip install 'workers-ai-conformance[model]'" in result.output
    assert "Traceback" not in result.output


USER_CHECKS = """\
from conformance import CheckFailure, NotApplicable, Observation, check


@check(
    id="rejections_are_422",
    severity="must",
    description="Schema-invalid bodies get exactly 422.",
    clause="our API guide",
)
def rejections_are_422(observation: Observation) -> None:
    if observation.case.expect != "reject":
        raise NotApplicable
    if observation.exchange.status != 422:
        raise CheckFailure(
            received=str(observation.exchange.status), expected="422 for a schema-invalid body"
        )
"""


def test_a_users_checks_module_takes_part_and_can_be_excluded_by_name(tmp_path: Path) -> None:
    (tmp_path / "team_checks.py").write_text(USER_CHECKS)
    with fake_server(token=TOKEN) as url:
        target = ["--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"]
        failing = conformance(
            "run", *target, "--checks-module", "team_checks.py", "--report-dir", "with", cwd=tmp_path
        )
        excluded = conformance(
            "run",
            *target,
            "--checks-module",
            "team_checks.py",
            "--exclude-check",
            "rejections_are_422",
            "--report-dir",
            "without",
            cwd=tmp_path,
        )
    assert failing.returncode == 1, failing.stdout + failing.stderr
    results = json.loads((tmp_path / "with" / "results.json").read_text())
    checks = {c["id"]: c for c in results["checks"]}
    mine = checks.pop("rejections_are_422")
    assert mine["severity"] == "must" and mine["status"] == "failed"
    assert mine["failures"][0]["message"].startswith("Received: 400\nExpected: 422")
    assert all(c["status"] in ("passed", "skipped") for c in checks.values())
    assert "rejections_are_422" in failing.stdout
    assert excluded.returncode == 0, excluded.stdout + excluded.stderr
    ids = [c["id"] for c in json.loads((tmp_path / "without" / "results.json").read_text())["checks"]]
    assert "rejections_are_422" not in ids and "status_code_conformance" in ids


def test_replay_judges_a_recording_with_a_users_checks_module(tmp_path: Path) -> None:
    (tmp_path / "team_checks.py").write_text(USER_CHECKS)
    with fake_server(token=TOKEN) as url:
        live = conformance(
            "run",
            *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
            *("--record", "capture.jsonl", "--report-dir", "live"),
            cwd=tmp_path,
        )
    assert live.returncode == 0, live.stdout + live.stderr
    # By dotted name this time, importable from the current directory.
    only_mine = ["--checks-module", "team_checks", "--check", "rejections_are_422"]
    replayed = conformance("replay", "capture.jsonl", *only_mine, "--report-dir", "mine", cwd=tmp_path)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    checks = json.loads((tmp_path / "mine" / "results.json").read_text())["checks"]
    assert [(c["id"], c["status"]) for c in checks] == [("rejections_are_422", "failed")]
    without = conformance("replay", "capture.jsonl", "--check", "rejections_are_422", cwd=tmp_path)
    assert (
        without.returncode == 2 and "--check='rejections_are_422' is not a registered check" in without.stderr
    )


@pytest.mark.parametrize(
    "command",
    [["run", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X"], ["replay", "capture.jsonl"]],
)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("missing_checks.py", "--checks-module='missing_checks.py' does not exist"),
        ("missing_checks", "--checks-module='missing_checks' could not be imported: no module named"),
    ],
)
def test_a_checks_module_that_cannot_be_loaded_exits_2_naming_option_and_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading a dotted name may add the directory
    outcome = CliRunner().invoke(main, [*command, "--checks-module", value])
    assert outcome.exit_code == 2 and message in outcome.output, outcome.output
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "0"], "--timeout=0.0 is not a positive number of seconds"),
        (["--timeout", "-3"], "--timeout=-3.0 is not a positive number of seconds"),
        (["--timeout", "nan"], "--timeout=nan is not a positive number of seconds"),
        (["--timeout", "soon"], "'--timeout': 'soon' is not a valid float"),
        (["--connect-timeout", "0"], "--connect-timeout=0.0 is not a positive number of seconds"),
        (["--response-timeout", "-1"], "--response-timeout=-1.0 is not a positive number of seconds"),
        (["--idle-timeout", "0"], "--idle-timeout=0.0 is not a positive number of seconds"),
        (["--idle-timeout", "inf"], "--idle-timeout=inf is not a positive number of seconds"),
    ],
)
def test_bad_timeouts_exit_2_naming_option_and_value(args: list[str], message: str) -> None:
    outcome = CliRunner().invoke(
        main, ["run", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X", *args]
    )
    assert outcome.exit_code == 2 and message in outcome.output, outcome.output


def test_a_response_slower_than_timeout_is_a_case_error_and_the_run_finishes(tmp_path: Path) -> None:
    # The fake answers streamed requests only when it shuts down: without
    # --timeout the run would wait the default 120 s for each.
    with fake_server({"stall_streams"}, token=TOKEN) as url:
        done = conformance(
            "run",
            *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
            *("--timeout", "1", "--report-dir", "out"),
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    errors = {c["id"]: c["error"] for c in results["cases"] if c["outcome"] == "error"}
    assert errors and all(error.startswith("ReadTimeout") for error in errors.values())
    streamed = {c["id"] for c in results["cases"] if c["kind"] != "scenario" and c["stream"]}
    # A scenario made only of streamed requests has nothing left to judge either.
    assert set(errors) == streamed | {"scenario/same-seed-stream-1"}
    assert results["counts"]["cases_error"] == len(errors) and results["verdict"] == "pass"
    assert results["counts"]["cases_passed"] == results["counts"]["cases"] - len(errors)
    # The stream-vs-non-stream scenario lost its streamed half: the check says why it could not judge.
    agreement = next(c for c in results["checks"] if c["id"] == "stream_matches_non_stream")
    assert agreement["status"] == "skipped"
    assert "skipped on every case, e.g. scenario/" in agreement["skip_reason"]
    assert "produced no text" in agreement["skip_reason"]


def test_a_target_that_stops_answering_partway_fails_with_the_reason_and_the_rest_not_judged(
    tmp_path: Path,
) -> None:
    with fake_server({"stop_answering"}, token=TOKEN) as url:
        done = conformance(
            "run",
            *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
            *("--timeout", "1", "--report-dir", "out"),
            cwd=tmp_path,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "\nStopped: the target stopped answering: 3 requests in a row got no answer in time" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["verdict"] == "fail" and results["stopped"].startswith("the target stopped answering")
    cut = [c for c in results["cases"] if (c.get("error") or "").startswith("not judged: the run stopped")]
    assert cut and all(c["outcome"] == "error" and c["exchanges"] == [] for c in cut)
    # Every item of the plan is listed, sent or not.
    planned = plan_run(RunConfig(base_url=url, account_id="X", token=TOKEN, profile="smoke", seed=5)).items
    assert results["counts"]["cases"] == len(planned) and results["counts"]["cases_error"] >= len(cut)
    assert "**Stopped:** the target stopped answering" in (tmp_path / "out" / "summary.md").read_text()
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert junit.find(".//testcase[@name='target kept answering']/error[@type='stopped']") is not None


def test_a_target_that_needs_a_token_the_run_lacks_exits_3_saying_where_to_put_it(tmp_path: Path) -> None:
    with fake_server(token=TOKEN) as url:
        done = conformance(
            "run",
            *("--base-url", url, "--account-id", "X", "--profile", "smoke", "--token-env", "TEAM_TOKEN"),
            cwd=tmp_path,
            token=None,
        )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "requires a token (it answered 401) and this run has none" in done.stdout + done.stderr
    assert "--token-env" in done.stdout + done.stderr
