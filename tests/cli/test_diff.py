"""`conformance diff` driven as a user would: pairs of loopback servers, a capture, the four reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance.cli import main
from support.fake_server import fake_server
from support.samples import TOKEN

NOISE = {"sample_unseeded", "random_padding", "shuffled_headers"}
"""What two conformant implementations differ in: sampled text, the padding of events, header order."""

ENV = {
    "CLOUDFLARE_API_TOKEN": TOKEN,
    "CLOUDFLARE_AUTH_TOKEN": None,
    "CLOUDFLARE_BASE_URL": None,
    "CLOUDFLARE_ACCOUNT_ID": None,
    "CI": "1",
}
SMOKE = ("--account-id", "X", "--profile", "smoke", "--seed", "5")


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["diff", *args], env={**ENV, **(env or {})})


def reports(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def counted(results: dict[str, Any]) -> dict[str, int]:
    return {k: v["counted"] for k, v in results["differences"]["counts"].items() if v["counted"]}


def live(
    tmp_path: Path, target: set[str], reference: set[str], *args: str, name: str = "out"
) -> tuple[Result, dict[str, Any]]:
    with fake_server(target, token=TOKEN) as mine, fake_server(reference, token=TOKEN) as theirs:
        out = tmp_path / name
        done = invoke("--base-url", mine, "--reference-url", theirs, *SMOKE, "--report-dir", str(out), *args)
    assert done.exit_code in (0, 1), done.output
    return done, reports(out)


def test_servers_that_differ_only_in_noise_agree_and_the_noise_is_reported_with_its_reason(
    tmp_path: Path,
) -> None:
    done, results = live(tmp_path, set(), NOISE, "--strict-text")
    assert done.exit_code == 0, done.output
    section = results["differences"]
    assert results["format_version"] == 2 and results["verdict"] == "pass" and counted(results) == {}
    assert section["noise_sample"] == "reference" and section["strict_text"] is True
    # Sampled texts differ from the target's and between the reference's two answers: noise, saying so.
    noise = [d for d in section["noise"] if d["class"] == "text"]
    assert noise and all(
        d["note"].startswith("the reference answered '") and "the first time and '" in d["note"]
        for d in noise
    )
    assert section["texts"]["same"] < section["texts"]["compared"]
    assert "0 counted" in done.output and "discounted as noise (the reference was asked twice)" in done.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Differences from the reference" in html and "No disagreement beyond the reference" in html
    assert "discounted as noise, and why" in html


@pytest.mark.parametrize(
    ("target", "reference", "klass"),
    [
        ({"bad_input_code_3003"}, set(), "error_code"),  # another code for the same bad body
        (set(), {"refuse_large_413"}, "status"),  # 413 against a server that answers the long prompt
        ({"no_usage"}, set(), "fields"),  # usage absent
        ({"nondeterministic"}, set(), "determinism"),  # the seed not reproduced
    ],
    ids=["error-code", "413-vs-truncation", "usage-absent", "seed-not-reproduced"],
)
def test_servers_that_differ_exit_1_naming_the_class_and_only_it(
    tmp_path: Path, target: set[str], reference: set[str], klass: str
) -> None:
    done, results = live(tmp_path, target, reference)
    assert done.exit_code == 1, done.output
    assert set(counted(results)) == {klass}
    assert results["verdict"] == "fail" and results["exit_code"] == 1
    assert f"  {klass}: {counted(results)[klass]} counted" in done.output
    # Each disagreement comes with the reference's exchanges beside the target's.
    section = results["differences"]
    first = next(d for d in section["disagreements"] if d["class"] == klass)
    assert section["reference_exchanges"][first["case_id"]][0]["request"]["url"] != ""
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    diff_suite = next(s for s in junit.iter("testsuite") if s.get("name") == "conformance.diff")
    failing = {case.get("name") for case in diff_suite.iter("testcase") if case.find("failure") is not None}
    assert failing == {klass} and len(list(diff_suite.iter("testcase"))) == 8
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert (
        "## Differences from the reference" in summary
        and f"| `{klass}` | {counted(results)[klass]} |" in summary
    )
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "disagrees with the reference" in html and first["case_id"] in html


def test_allow_accepts_a_class_and_the_run_passes(tmp_path: Path) -> None:
    done, results = live(tmp_path, {"bad_input_code_3003"}, set(), "--allow", "error_code")
    assert done.exit_code == 0, done.output
    assert results["differences"]["counts"]["error_code"]["accepted"] > 0 and counted(results) == {}
    assert results["differences"]["allowed"] == ["error_code"]


def test_a_must_failure_on_the_target_fails_the_run_though_both_sides_agree(tmp_path: Path) -> None:
    done, results = live(
        tmp_path, {"bad_error_envelope"}, {"bad_error_envelope"}, "--exclude-check", "auth_enforced"
    )
    assert done.exit_code == 1 and counted(results) == {}
    assert "error_envelope_conformance" in done.output


def test_a_capture_gives_the_verdicts_of_the_live_comparison(tmp_path: Path) -> None:
    broken = {"bad_input_code_3003", "no_usage", "nondeterministic"}
    capture = tmp_path / "capture.jsonl"
    with fake_server({"refuse_large_413"}, token=TOKEN) as theirs, fake_server(broken, token=TOKEN) as mine:
        recorded = CliRunner().invoke(
            main,
            [
                "run",
                "--base-url",
                theirs,
                *SMOKE,
                "--record",
                str(capture),
                "--report-dir",
                str(tmp_path / "rec"),
            ],
            env=ENV,
        )
        assert recorded.exit_code == 0, recorded.output
        by_capture = invoke(
            "--base-url",
            mine,
            "--account-id",
            "X",
            "--reference-capture",
            str(capture),
            "--report-dir",
            "cap",
        )
        by_live = invoke(
            "--base-url", mine, "--reference-url", theirs, *SMOKE, "--report-dir", str(tmp_path / "live")
        )
    assert by_capture.exit_code == by_live.exit_code == 1, by_capture.output
    from_capture, from_live = reports(Path("cap")), reports(tmp_path / "live")
    assert set(counted(from_capture)) == {"status", "error_code", "fields", "determinism"}
    assert counted(from_capture) == counted(from_live)

    def keys(results: dict[str, Any]) -> set[tuple[str, Any, str]]:
        return {
            (d["case_id"], d["exchange"], d["fact"])
            for d in results["differences"]["disagreements"]
            if not d["accepted"]
        }

    assert keys(from_capture) == keys(from_live)
    reference = from_capture["differences"]["reference"]
    assert reference["kind"] == "capture" and reference["capture"] == str(capture)
    assert from_capture["differences"]["noise_sample"] == "target"
    assert "the target again (noise floor)" in by_capture.output


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # reports/ and relative --report-dir land in the test's folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no reference given: pass one of --reference-url URL, --reference-capture FILE"),
        (
            ["--reference-url", "http://127.0.0.1:9/client/v4", "--reference-embedded"],
            "--reference-url and --reference-embedded contradict each other",
        ),
        (["--reference-embedded", "--allow", "speed"], "--allow='speed' is not one of status, error_code"),
        (["--reference-capture", "missing.jsonl"], "--reference-capture='missing.jsonl' does not exist"),
        (["--reference-url", "ftp://x"], "--reference-url='ftp://x' is not an http"),
        (
            ["--reference-url", "http://x", "--reference-account-id", "a/b"],
            "--reference-account-id='a/b' is not",
        ),
    ],
)
def test_usage_errors_exit_2_naming_the_option(args: list[str], message: str) -> None:
    done = invoke("--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X", *args)
    assert done.exit_code == 2 and message in done.output, done.output
    assert " diff [OPTIONS]" in done.output


def test_a_seed_other_than_the_captures_is_a_usage_error(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    header = {"format": "workers-ai-conformance/recording", "format_version": 1, "target": {}, "seed": 5}
    case = {"type": "case", "id": "valid/x", "kind": "valid", "label": "x", "expect": "accept", "body": {}}
    capture.write_text(
        json.dumps({**header, "profile": "smoke"}) + "\n" + json.dumps({"item": case, "exchanges": []})
    )
    done = invoke(
        "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X",
        "--reference-capture", str(capture), "--seed", "6",
    )  # fmt: skip
    assert done.exit_code == 2 and "--seed=6 differs from the capture's 5" in done.output, done.output


def test_an_unreachable_reference_exits_3_saying_which_side(tmp_path: Path) -> None:
    with fake_server(token=TOKEN) as mine:
        done = invoke(
            "--base-url", mine, "--reference-url", "http://127.0.0.1:9/client/v4", *SMOKE, "--report-dir", "o"
        )
    assert done.exit_code == 3, done.output
    assert "the reference could not be tested: the target is unreachable" in done.output
    assert reports(Path("o"))["verdict"] == "error"


def test_the_references_token_appears_in_no_artefact(tmp_path: Path) -> None:
    secret = "ref-tok-" + "5e" * 12
    with fake_server(token=TOKEN) as mine, fake_server({"echo_auth"}, token=secret) as theirs:
        done = invoke(
            "--base-url", mine, "--reference-url", theirs, "--reference-token-env", "REFERENCE_TOKEN",
            *SMOKE, "--report-dir", "o", env={"REFERENCE_TOKEN": secret},
        )  # fmt: skip
    assert done.exit_code == 0, done.output  # the echoed header changes the text only
    assert secret not in done.output
    for path in Path("o").iterdir():
        text = path.read_text(encoding="utf-8")
        assert secret not in text and TOKEN not in text, path
    assert "Bearer [REDACTED]" in json.dumps(reports(Path("o"))["differences"])


def test_the_entry_point_runs_diff_and_its_help_names_the_reference_options(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "diff", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    for option in (
        "--reference-url",
        "--reference-capture",
        "--reference-embedded",
        "--allow",
        "--strict-text",
    ):
        assert option in done.stdout


@pytest.mark.slow
def test_the_embedded_reference_server_is_a_reference(tmp_path: Path) -> None:
    # The fake server against the tiny model: both conform; what differs is theirs to differ in.
    with fake_server(token=TOKEN) as mine:
        done = invoke("--base-url", mine, "--reference-embedded", *SMOKE, "--report-dir", "o")
    assert done.exit_code in (0, 1), done.output
    section = reports(Path("o"))["differences"]
    assert section["reference"]["kind"] == "embedded" and section["reference"]["embedded"] is True
    assert section["noise_sample"] == "reference" and section["cases_compared"] > 40
    assert "(embedded reference server)" in done.output
