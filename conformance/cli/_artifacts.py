"""The report files `conformance run` and `conformance replay` both write."""

from __future__ import annotations

from pathlib import Path

from conformance.report import load_results, write_html_report
from conformance.runner import RunResult, write_artifacts


def write_reports(result: RunResult, folder: Path) -> list[Path]:
    """Every report file of a run: results.json, junit.xml, summary.md and report.html."""
    written = write_artifacts(result, folder)
    # Rendered from the written results.json, as `conformance report` renders it.
    report = write_html_report(load_results(folder / "results.json"), folder / "report.html")
    return [*written, report]
