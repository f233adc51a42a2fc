"""Loading results.json for the report: every way a file can be wrong says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.errors import UsageError
from conformance.report import load_results
from support.results_builder import passing_run


def test_a_results_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(passing_run(2)), encoding="utf-8")
    assert load_results(path)["verdict"] == "pass"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON: Expecting property name enclosed in double quotes (line 1, column 2)."),
        ("[]", "Received a JSON list. Expected an object."),
        ('{"format": "other"}', "Received format 'other'. Expected 'workers-ai-conformance/results'."),
        (
            '{"format": "workers-ai-conformance/results", "format_version": 3}',
            "Received format_version 3. Expected 1 or 2.",
        ),
    ],
    ids=["missing", "not-json", "not-object", "other-format", "other-version"],
)
def test_bad_files_raise_usage_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_results(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        load_results(tmp_path)
