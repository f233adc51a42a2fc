"""`conformance fuzz` driven as a user would: schemathesis against loopback servers, our reports out.

Kept lean: one or two phases and a handful of examples per run; the full
three-phase comparison with `run` is benchmarks/fuzz_vs_run.py (docs/fuzz.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MODEL, run_path
from conformance.runner import load_recording
from support.fake_server import fake_server
from support.processes import ci_env
from support.samples import TOKEN

FAST = ("--phase", "fuzzing", "--max-examples", "3", "--seed", "1")


def fuzz(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "fuzz", *args, "--report-dir", str(cwd / "out")],
        cwd=cwd,
        env=ci_env(TOKEN),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def results(cwd: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((cwd / "out" / "results.json").read_text())
    return document


@pytest.mark.slow
def test_the_embedded_reference_server_gets_a_clean_verdict(tmp_path: Path) -> None:
    # No --base-url: the embedded reference server (tiny model), as with `conformance run`.
    done = fuzz(
        "--phase", "examples", "--phase", "fuzzing", "--max-examples", "3", "--seed", "2", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASS"), done.stdout
    assert "schemathesis: examples phase" in done.stderr and "schemathesis: fuzzing phase" in done.stderr
    found = results(tmp_path)
    assert found["verdict"] == "pass"
    cases = found["cases"]
    assert isinstance(cases, list)
    # The boundary catalogue's maximal bodies were sent as explicit examples.
    sizes = [(case["exchanges"][0]["request"]["body_summary"] or {}).get("chars", 0) for case in cases]
    assert max(sizes) > 131072
    for name in ("junit.xml", "summary.md", "report.html"):
        assert (tmp_path / "out" / name).is_file()


@pytest.mark.slow
def test_a_broken_result_is_caught_with_the_minimal_request_and_a_curl_line(tmp_path: Path) -> None:
    with fake_server({"bad_result"}, token=TOKEN) as url:
        done = fuzz("--base-url", url, "--account-id", "X", *FAST, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "result_conformance" in done.stdout  # our check, run inside schemathesis
    assert "schemathesis_response_schema_conformance" in done.stdout  # schemathesis's own
    cases = results(tmp_path)["cases"]
    assert isinstance(cases, list)
    failed = [case for case in cases if case["outcome"] == "failed"]
    assert len(failed) == 1  # every failing draw shares the same checks: only the smallest is kept
    assert "minimal request found; reproduce: curl -X POST" in failed[0]["label"]
    assert TOKEN not in json.dumps(cases) and TOKEN not in done.stdout + done.stderr


@pytest.mark.slow
def test_negative_data_accepted_is_caught(tmp_path: Path) -> None:
    with fake_server({"accept_invalid"}, token=TOKEN) as url:
        # Negative mode also mutates the path (answered 404/5007, judged by schemathesis
        # alone), the model as often as the body: 30 draws hold body mutations whatever
        # order schemathesis draws them in.
        args = ("--phase", "fuzzing", "--max-examples", "30", "--seed", "1", "--mode", "negative")
        done = fuzz("--base-url", url, "--account-id", "X", *args, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "status_code_conformance" in done.stdout
    assert "schemathesis_negative_data_rejection" in done.stdout


@pytest.mark.slow
def test_a_baseline_accepts_the_findings_of_the_same_seed(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    with fake_server({"bad_result"}, token=TOKEN) as url:
        target = ("--base-url", url, "--account-id", "X", *FAST, "--baseline", str(baseline))
        first = fuzz(*target, "--update-baseline", cwd=tmp_path)
        assert baseline.is_file(), first.stdout + first.stderr
        again = fuzz(*target, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "accepted by the baseline" in again.stdout


@pytest.mark.slow
def test_a_server_routing_on_the_raw_path_passes_with_the_model_literal_in_each_phase(tmp_path: Path) -> None:
    # Such a server (a Worker reading `new URL(request.url).pathname`, like the live API)
    # answers 400/5007 to `%40hf%2Fthebloke%2F...`: one encoded model is "valid data rejected".
    lines: list[str] = []
    with fake_server({"raw_path"}, token=TOKEN, account="f00d", request_lines=lines) as url:
        args = ("--max-examples", "3", "--seed", "1")  # all three phases, positive and negative
        done = fuzz("--base-url", url, "--account-id", "f00d", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    literal = f"/client/v4/accounts/f00d/ai/run/{MODEL} HTTP/1.1"
    run_lines = [line for line in lines if "/ai/run/" in line]
    assert not [line for line in run_lines if "%40hf" in line or "/accounts/f00d/" not in line]
    assert sum(line.endswith(literal) for line in run_lines) > len(run_lines) // 2
    # Negative data mutates the model, and that mutation goes as schemathesis encodes it.
    cases = results(tmp_path)["cases"]
    assert isinstance(cases, list)
    sent_literally = {
        case["label"].split(":")[0]
        for case in cases
        if case["exchanges"][0]["request"]["url"] == url + run_path("f00d", MODEL)
    }
    assert sent_literally == {f"schemathesis {phase}" for phase in ("examples", "coverage", "fuzzing")}


def test_a_conformant_server_passes_and_the_recording_holds_every_exchange(tmp_path: Path) -> None:
    record = tmp_path / "capture.jsonl"
    with fake_server(token=TOKEN) as url:
        done = fuzz("--base-url", url, "--account-id", "X", *FAST, "--record", str(record), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    counts = results(tmp_path)["counts"]
    assert isinstance(counts, dict)
    recording = load_recording(record)
    assert len(recording.items) == counts["cases"]  # `conformance replay` re-judges it offline


def test_the_chosen_schema_version_feeds_schemathesis_and_the_verdict(tmp_path: Path) -> None:
    with fake_server({"serves_docs_2025_01"}, token=TOKEN) as url:
        args = ("--mode", "positive", "--schema-version", "docs-2025-01")
        done = fuzz("--base-url", url, "--account-id", "X", *FAST, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    document: Any = results(tmp_path)
    assert document["toolkit"]["schema_version"] == "docs-2025-01"
    assert document["cases"] and all(
        "image" not in (case["exchanges"][0]["request"]["body"] or {}) for case in document["cases"]
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--schema-version", "2025"), "--schema-version='2025' is not one of page-2024, docs-2025-01"),
        (("--phase", "stateful"), "--phase='stateful' is not one of examples, coverage, fuzzing"),
        (("--mode", "sideways"), "--mode='sideways' is not one of positive, negative, all"),
        (("--max-examples", "0"), "--max-examples=0 is not between 1 and 100000"),
        (("--workers", "0"), "--workers=0 is not between 1 and 64"),
        (("--idle-timeout", "0"), "--idle-timeout=0.0 is not a positive number of seconds"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_it(option: tuple[str, str], message: str) -> None:
    done = CliRunner().invoke(
        main, ["fuzz", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X", *option]
    )
    assert done.exit_code == 2
    assert message in done.output


def test_a_schemathesis_internal_error_is_named_as_such_with_exit_3(tmp_path: Path) -> None:
    # A hook that raises breaks schemathesis itself, not the target: a real way
    # for a user's --checks-module to make schemathesis fail.
    module = tmp_path / "broken_hook.py"
    module.write_text(
        "import schemathesis\n\n"
        "@schemathesis.hook\n"
        "def map_body(context, body):\n"
        "    raise RuntimeError('the hook broke')\n"
    )
    with fake_server(token=TOKEN) as url:
        target = ("--base-url", url, "--account-id", "X")
        done = fuzz(*target, *FAST, "--checks-module", str(module), cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "schemathesis failed internally (not a finding about the target)" in done.stderr
    assert "Traceback" not in done.stderr
