"""Reports rendered from results: one self-contained HTML file per run::

    from conformance.report import load_results, write_html_report
    write_html_report(load_results(Path("results.json")), Path("report.html"))
"""

from __future__ import annotations

from conformance.report.html import render_html, write_html_beside, write_html_report
from conformance.report.results import RESULTS_FORMAT, RESULTS_FORMAT_VERSION, check_results, load_results

__all__ = [
    "render_html",
    "write_html_report",
    "write_html_beside",
    "load_results",
    "check_results",
    "RESULTS_FORMAT",
    "RESULTS_FORMAT_VERSION",
]
