"""The report files `conformance run` and `conformance replay` both write."""

from __future__ import annotations

from pathlib import Path

from conformance.runner import RunResult, write_artifacts


def write_reports(result: RunResult, folder: Path) -> list[Path]:
    """Every report file of a run: results.json, junit.xml, summary.md and report.html."""
    # Imported here: the HTML report's Jinja2 is needed only once the run is over.
    from conformance.report import write_html_beside

    written = write_artifacts(result, folder)
    return [*written, write_html_beside(folder / "results.json")]
