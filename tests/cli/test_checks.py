"""``conformance checks`` driven as a user drives it: the names --check and --exclude-check take."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.checks import registry
from conformance.cli import main

USER_CHECK = """\
from conformance import NotApplicable, check


@check(id="answers_politely", severity="should", description="Answers say please.", clause="house style")
def answers_politely(observation):
    raise NotApplicable
"""


def console_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed ``conformance`` script: unlike ``python -m``, its sys.path lacks the cwd."""
    script = Path(sys.executable).parent / "conformance"
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_json_lists_every_registered_check_with_severity_description_and_clause() -> None:
    result = CliRunner().invoke(main, ["checks", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [c["id"] for c in listed] == [c.id for c in registry.all()]
    by_id = {c["id"]: c for c in listed}
    assert by_id["auth_enforced"]["severity"] == "must" and by_id["auth_enforced"]["kind"] == "scenario"
    assert by_id["usage_consistent"]["severity"] == "should"
    assert by_id["status_code_conformance"] == {
        "id": "status_code_conformance",
        "severity": "must",
        "kind": "exchange",
        "description": registry["status_code_conformance"].description,
        "clause": registry["status_code_conformance"].clause,
    }


def test_the_table_has_a_row_per_check_and_counts_by_severity() -> None:
    result = CliRunner().invoke(main, ["checks"], env={"COLUMNS": "400"})  # wide enough not to wrap
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for item in registry.all():
        (row,) = [line for line in lines if line.strip().startswith(item.id + " ")]
        assert item.severity in row and item.description in row
    must = sum(c.severity == "must" for c in registry.all())
    should = sum(c.severity == "should" for c in registry.all())
    assert f"{len(registry.all())} checks: {must} must, {should} should." in result.output


def test_on_a_narrow_terminal_the_table_wraps_within_the_width() -> None:
    result = CliRunner().invoke(main, ["checks"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    table = result.output.splitlines()[:-1]  # the last line is the count, printed as text
    assert max(len(line) for line in table) <= 100
    assert all(any(line.strip().startswith(c.id) for line in table) for c in registry.all())


def test_a_users_module_by_dotted_name_is_listed_beside_the_built_ins(tmp_path: Path) -> None:
    (tmp_path / "house_checks.py").write_text(USER_CHECK)
    done = console_script("checks", "--checks-module", "house_checks", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {c["id"]: c for c in json.loads(done.stdout)}
    assert listed["answers_politely"] == {
        "id": "answers_politely",
        "severity": "should",
        "kind": "exchange",
        "description": "Answers say please.",
        "clause": "house style",
    }
    assert "status_code_conformance" in listed


def test_a_users_module_by_path_shows_in_the_table(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "house_checks.py").write_text(USER_CHECK)
    done = console_script("checks", "--checks-module", "ci/house_checks.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (row,) = [line for line in done.stdout.splitlines() if "answers_politely" in line]
    assert "should" in row and "Answers say please." in row and "house style" in row


def test_the_example_module_in_docs_runner_md_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "runner.md").read_text()
    start = docs.index("# my_checks.py\n")
    (tmp_path / "my_checks.py").write_text(docs[start : docs.index("```", start)])
    done = console_script("checks", "--checks-module", "my_checks.py", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[-1]["id"] == "answers_in_ascii"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--checks-module", "nowhere/checks.py"], "--checks-module='nowhere/checks.py' does not exist"),
        (["--checks-module", "no_such_module"], "--checks-module='no_such_module' could not be imported"),
        (["--format", "xml"], "'--format': 'xml' is not one of"),
    ],
)
def test_bad_options_exit_2_naming_option_and_value(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading a dotted name may add the directory
    result = CliRunner().invoke(main, ["checks", *args])
    assert result.exit_code == 2 and message in result.output, result.output
