"""`conformance report` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from support.results_builder import failing_run


def test_report_writes_the_html(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(failing_run()), encoding="utf-8")
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {out}\n"
    assert 'id="verdict">FAIL<' in out.read_text(encoding="utf-8")


def test_report_lands_beside_the_results_by_default(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(failing_run()), encoding="utf-8")
    assert CliRunner().invoke(main, ["report", str(results)]).exit_code == 0
    assert (tmp_path / "report.html").exists()


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "nope.json' does not exist" in result.output


def test_a_file_that_is_not_json_exits_2(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text("<html>", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(results)])
    assert result.exit_code == 2
    assert "is not JSON" in result.output


def test_another_format_version_exits_2(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({**failing_run(), "format_version": 3}), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(results)])
    assert result.exit_code == 2
    assert "Received format_version 3. Expected 1 or 2." in result.output
    assert not (tmp_path / "report.html").exists()
