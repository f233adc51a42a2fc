"""``conformance cases`` driven as a user drives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MAX_CONTENT_CHARS


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["cases", *args], env={"COLUMNS": "160"})
    return result.exit_code, result.output


def test_jsonl_prints_full_bodies_one_case_a_line() -> None:
    code, output = _run("--kind", "boundary", "--format", "jsonl")
    assert code == 0
    lines = output.splitlines()  # ASCII output: splitlines() is safe here
    cases = [json.loads(line) for line in lines]
    by_id = {case["id"]: case for case in cases}
    assert len(cases) == len(by_id)
    assert len(by_id["boundary/prompt-length-max-astral"]["body"]["prompt"]) == MAX_CONTENT_CHARS
    assert by_id["boundary/seed-max"]["expect"] == "accept"
    assert output.isascii()


def test_jsonl_for_invalid_cases_states_the_violation() -> None:
    code, output = _run("--kind", "invalid", "--format", "jsonl")
    assert code == 0
    by_id = {case["id"]: case for case in map(json.loads, output.splitlines())}
    assert by_id["invalid/seed-above-maximum"]["violates"] == ["/seed", "maximum"]


def test_table_summarises_big_bodies() -> None:
    code, output = _run("--kind", "boundary")
    assert code == 0
    (row,) = [line for line in output.splitlines() if "boundary/prompt-length-max-astral " in line]
    assert "<131072 chars" in row
    assert max(len(line) for line in output.splitlines()) <= 160
    assert output.splitlines()[-1].endswith(" boundary")


def test_valid_count_and_seed_are_honoured() -> None:
    code, output = _run("--kind", "valid", "--count", "7", "--seed", "5", "--format", "jsonl")
    assert code == 0
    ids = [json.loads(line)["id"] for line in output.splitlines()]
    assert len(ids) == 7 and all(i.startswith("valid/") for i in ids)
    assert _run("--kind", "valid", "--count", "7", "--seed", "5", "--format", "jsonl")[1] == output


def test_kinds_can_be_repeated() -> None:
    code, output = _run("--kind", "boundary", "--kind", "invalid", "--format", "jsonl")
    kinds = {json.loads(line)["kind"] for line in output.splitlines()}
    assert code == 0 and kinds == {"boundary", "invalid"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--kind", "bogus"], "'--kind': 'bogus' is not one of"),
        (["--count", "-1"], "'--count': -1 is not in the range"),
        (["--count", "many"], "'--count': 'many' is not a valid integer"),
        (["--seed", "x"], "'--seed': 'x' is not a valid integer"),
        (["--format", "xml"], "'--format': 'xml' is not one of"),
    ],
)
def test_bad_options_are_usage_errors_naming_option_and_value(args: list[str], words: str) -> None:
    result = CliRunner().invoke(main, ["cases", *args])
    assert result.exit_code == 2
    assert words in result.output


@pytest.mark.slow
def test_drawn_cases_are_the_same_in_fresh_processes() -> None:
    """Two interpreters with different hash seeds print the same drawn catalogue."""
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-m", "conformance", "cases", "--kind", "valid", "--count", "20"]
        command += ["--no-cache"]  # each process draws
        done = subprocess.run([*command, "--format", "jsonl"], env=env, capture_output=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 20


def test_drawing_cases_leaves_the_current_directory_alone(tmp_path: Path) -> None:
    """Hypothesis's Unicode cache goes to the toolkit's cache folder, not ./.hypothesis."""
    env = {**os.environ, "CONFORMANCE_CACHE_DIR": str(tmp_path / "cache")}
    work = tmp_path / "project"
    work.mkdir()
    command = [sys.executable, "-m", "conformance", "cases", "--kind", "valid", "--count", "3"]
    subprocess.run([*command, "--format", "jsonl"], env=env, cwd=work, capture_output=True, check=True)
    assert list(work.iterdir()) == []
    assert (tmp_path / "cache" / "hypothesis").is_dir()
