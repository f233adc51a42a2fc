"""The report's side-by-side view of `conformance diff`, from a results dict with a differences section."""

from __future__ import annotations

import copy
from typing import Any

from conformance.report import render_html
from conformance.report.differences import build_differences
from support.results_builder import passing_run

CLASSES = ("status", "error_code", "branch", "fields", "framing", "usage", "determinism", "text")


def with_differences(**overrides: Any) -> dict[str, Any]:
    results = passing_run(8)
    case = results["cases"][0]
    reference = copy.deepcopy(case["exchanges"][0])
    reference["request"]["url"] = "http://reference.example/client/v4/accounts/Y/ai/run/m"
    reference["response"]["status"] = 413
    counts = {klass: {"counted": 0, "accepted": 0, "noise": 0} for klass in CLASSES}
    counts["status"]["counted"] = 1
    counts["text"]["noise"] = 1
    results["format_version"] = 2
    results["verdict"], results["exit_code"] = "fail", 1
    results["differences"] = {
        "reference": {"kind": "url", "base_url": "http://user:pw@reference.example/client/v4?k=v"},
        "noise_sample": "reference",
        "allowed": [],
        "strict_text": False,
        "cases_compared": 8,
        "texts": {"compared": 7, "same": 6},
        "counts": counts,
        "disagreements": [
            {
                "case_id": case["id"],
                "exchange": 0,
                "class": "status",
                "fact": "status",
                "reference": 413,
                "target": "<script>alert(1)</script>",
                "note": "",
                "accepted": False,
            }
        ],
        "noise": [
            {
                "case_id": results["cases"][1]["id"],
                "exchange": 0,
                "class": "text",
                "fact": "text",
                "reference": "a",
                "target": "b",
                "note": "the reference answered 'a' the first time and 'c' the second",
            }
        ],
        "reference_exchanges": {case["id"]: [reference]},
        **overrides,
    }
    return results


def test_a_run_without_differences_has_no_such_view() -> None:
    html = render_html(passing_run(8))
    assert build_differences(passing_run(8)) is None
    assert "Differences from the reference" not in html and 'href="#differences"' not in html


def test_the_view_shows_classes_by_counts_then_both_sides_with_a_curl_line_each() -> None:
    html = render_html(with_differences())
    section = html[html.index('<section id="differences">') : html.index('<section id="matrix">')]
    assert 'href="#differences"' in html
    assert section.count("<tr") >= len(CLASSES) and "<code>determinism</code>" in section
    assert section.count("<h4>Target</h4>") == 1 and section.count("<h4>Reference</h4>") == 1
    assert (
        section.count("<h4>Reproduce</h4>") == 2
        and "http://reference.example/client/v4/accounts/Y" in section
    )
    assert "HTTP 413" in section
    assert "the reference answered &#39;a&#39; the first time and &#39;c&#39; the second" in section
    assert "disagrees with the reference in 1 place beyond its noise" in html


def test_what_the_target_sent_is_escaped_and_credentials_in_the_reference_url_are_left_out() -> None:
    html = render_html(with_differences())
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "user:pw" not in html and "k=v" not in html


def test_cases_differing_only_in_accepted_text_are_counted_not_shown() -> None:
    text_only = {
        "case_id": "valid/x",
        "exchange": 0,
        "class": "text",
        "fact": "text",
        "reference": "a",
        "target": "b",
        "note": "texts are compared only with --strict-text",
        "accepted": True,
    }
    view = build_differences(with_differences(disagreements=[text_only], reference_exchanges={}))
    assert view is not None and view.cards == [] and view.text_only == 1
    assert "1 case differ only in generated text" in render_html(with_differences(disagreements=[text_only]))
