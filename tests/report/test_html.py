"""The HTML report rendered from results dicts: content, escaping, self-containment and size."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import conformance.report as report
from conformance.report import render_html, write_html_report
from conformance.report.failures import DETAILED_CASES
from conformance.report.html import script_json
from support.results_builder import XSS, Run, failing_run, large_run, passing_run


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def element_text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1)


def report_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_passing_run_shows_pass_and_no_failure_cards() -> None:
    html = render_html(passing_run())
    assert element_text(html, "verdict") == "PASS"
    assert element_text(html, "verdict-sentence").startswith("The target conforms: 48 cases")
    assert element_text(html, "failure-count") == "0"
    assert '<article class="case' not in html
    assert "No new failures." in html
    assert report_data(html)["verdict"] == "pass"


def test_failing_run_shows_verdict_counts_and_every_failing_case() -> None:
    results = failing_run()
    html = render_html(results)
    assert element_text(html, "verdict") == "FAIL"
    assert element_text(html, "verdict-sentence") == (
        "The target does not conform: 7 new failures in 7 cases. 2 more failures accepted in the baseline."
    )
    assert element_text(html, "failure-count") == str(results["counts"]["new_failures"])
    for case_id in (
        "invalid/temperature-maximum",
        "streaming/truncated",
        "streaming/not-json",
        "boundary/prompt-max-length",
        "valid/timeout",
        "scenario/auth-missing",
    ):
        assert f"<code>{case_id}</code>" in html
    assert report_data(html) == {
        "baselined": 2,
        "failing_cases": 7,
        "format": "workers-ai-conformance/results",
        "format_version": 1,
        "new_failures": 7,
        "verdict": "fail",
    }


def test_what_was_tested_is_shown_without_secrets() -> None:
    results = failing_run()
    results["target"]["base_url"] = "https://user:hunter2@api.example.com/client/v4?key=s3cret"
    html = render_html(results)
    for fact in (
        "@hf/thebloke/llama-2-13b-chat-awq",
        "standard",
        "1234",
        "0.1.0",
        "input.json 3f1c9a0e3f1c",
        "2026-11-23 21:00:00 UTC",
        "https://api.example.com/client/v4",
    ):
        assert fact in html
    assert "hunter2" not in html and "s3cret" not in html


def test_baselined_failures_are_shown_apart_from_new_ones() -> None:
    html = render_html(failing_run())
    new, _, rest = html.partition('<section id="baseline">')
    assert "valid/usage-off" not in new.partition('<section id="failures">')[2]
    assert "valid/usage-off" in rest and "boundary/max-tokens-1" in rest
    assert "Fixed" in rest and "boundary/max-tokens-0" in rest


def test_matrix_cells_link_to_their_first_failure() -> None:
    html = render_html(failing_run())
    cell = re.search(
        r'<td class="cell cell-fail"[^>]*><a href="#(case-\d+)" data-check="auth_enforced" '
        r'data-class="scenario">1 ✗</a>',
        html,
    )
    assert cell, "the auth_enforced cell of scenario links to its failure"
    assert f'id="{cell.group(1)}" data-checks="auth_enforced" data-class="scenario"' in html
    assert re.search(r'<td class="cell cell-baselined"[^>]*><a href="#case-\d+">1 ≈</a>', html)
    assert re.search(r'<td class="cell cell-pass"[^>]*>8</td>', html)


def test_stream_transcript_is_numbered_and_marks_where_it_broke() -> None:
    html = render_html(failing_run())
    assert "events 50 to 90 not kept" in html
    assert '<tr class="broke"><th>1</th>' in html
    assert "broke here: event 1: not JSON" in html
    assert "stream ended without data: [DONE]</div>" in html


def test_maximal_bodies_are_summarised_with_their_length() -> None:
    html = render_html(failing_run())
    assert "Body summarised: 131,086 characters, 524,302 bytes. prompt: 131072 characters (maxLength)" in html
    assert "--data-binary @body.json" in html


def test_long_strings_in_recorded_bodies_are_shortened() -> None:
    run = Run()
    run.case(
        "boundary/prompt-max",
        "boundary",
        body={"prompt": "x" * 131072},
        failed={"status_code_conformance": "Received: 500\nExpected: 200"},
    )
    html = render_html(run.build())
    assert "131,072 chars (maxLength)" in html
    assert len(html) < 200_000, "the prompt is shortened in the body, though kept whole in the curl line"


def test_curl_line_uses_the_token_variable() -> None:
    html = render_html(failing_run())
    assert "-H &#34;authorization: Bearer $CLOUDFLARE_API_TOKEN&#34;" in html
    assert "[REDACTED]" in html  # the recorded header, shown as recorded
    assert "curl -sS -N -X POST" in html  # streamed cases keep curl from buffering


def test_target_markup_is_shown_as_text() -> None:
    html = render_html(failing_run())
    assert XSS not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    tags = parse(html)
    assert [attrs.get("type") for tag, attrs in tags.tags if tag == "script"] == ["application/json", None]
    assert not any(tag == "img" for tag, _ in tags.tags)


def test_markup_everywhere_the_target_or_results_reach_is_escaped() -> None:
    results = failing_run()
    evil = "</script><script>alert(1)</script>"
    results["target"]["model"] = evil
    results["reason"] = evil
    results["checks"][0]["id"] = evil
    results["checks"][0]["description"] = evil
    case = results["cases"][-1]
    case["id"] = case["class"] = case["label"] = evil
    case["exchanges"][0]["response"]["headers"] = {evil: evil}
    results["checks"][-1]["failures"][0]["case_id"] = evil
    html = render_html(results)
    assert "<script>alert(1)" not in html
    assert [tag for tag, _ in parse(html).tags].count("script") == 2


def test_inline_json_cannot_close_its_script_element() -> None:
    text = str(script_json({"a": "</script><!-- \u2028 & >"}))
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- \u2028 & >"}


def test_the_page_loads_nothing_and_runs_only_its_own_script() -> None:
    html = render_html(failing_run())
    tags = parse(html)
    for tag, attrs in tags.tags:
        assert "src" not in attrs, tag
        assert tag not in {"link", "iframe", "object", "embed", "img"}
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    assert "@import" not in html and "url(" not in html
    csp = next(
        attrs["content"] for tag, attrs in tags.tags if attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp
    digest = base64.b64encode(hashlib.sha256(tags.scripts[-1].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_error_verdict_says_why() -> None:
    results = passing_run(4)
    results.update(verdict="error", reason="connection refused by 127.0.0.1:8787", cases=[])
    html = render_html(results)
    assert element_text(html, "verdict") == "ERROR"
    assert element_text(html, "verdict-sentence") == (
        "The target could not be tested: connection refused by 127.0.0.1:8787"
    )


@pytest.mark.parametrize(
    "results",
    [
        {"format": "workers-ai-conformance/results", "format_version": 1},
        {
            "format": "workers-ai-conformance/results",
            "format_version": 1,
            "cases": "x",
            "checks": None,
            "counts": [],
            "target": 3,
            "baseline": {"accepted": [None, 1]},
        },
    ],
    ids=["minimal", "mistyped"],
)
def test_missing_or_mistyped_fields_still_render(results: dict[str, Any]) -> None:
    html = render_html(results)
    assert element_text(html, "verdict") == "NO VERDICT"


def test_optional_fields_left_out_by_older_runners() -> None:
    results = failing_run()
    for case in results["cases"]:
        for key in ("class", "timing", "tokens", "checks", "label"):
            case.pop(key)
        for exchange in case["exchanges"]:
            exchange.pop("timing")
            exchange["request"].pop("body_summary")
    results.pop("counts")
    html = render_html(results)
    assert element_text(html, "failure-count") == "7"
    assert "No case recorded this measure." in html


def test_write_html_report_creates_folders(tmp_path: Path) -> None:
    path = write_html_report(passing_run(), tmp_path / "a" / "b" / "report.html")
    assert path == tmp_path / "a" / "b" / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_rendering_does_not_change_the_results() -> None:
    results = failing_run()
    before = copy.deepcopy(results)
    render_html(results)
    assert results == before


@pytest.mark.slow
def test_five_thousand_cases_render_into_a_small_file() -> None:
    # Size only: render time is measured in benchmarks/report_render.py, not
    # asserted here, where a busy machine would make it flake.
    results = large_run(5000)
    html = render_html(results)
    failing = results["counts"]["cases_failed"]
    assert html.count('<article class="case') == failing
    assert len(html.encode()) < 1_000_000


@pytest.mark.slow
def test_failures_past_the_detailed_ones_are_listed_without_exchanges() -> None:
    results = large_run(2000, failing_every=2)
    failing = results["counts"]["cases_failed"]
    assert failing > DETAILED_CASES
    html = render_html(results)
    assert html.count('<article class="case') == failing
    assert html.count("Request and response left out") == failing - DETAILED_CASES
    assert f"{failing - DETAILED_CASES:,} failing cases past the first few hundred" in html


def test_the_report_package_exports_what_it_lists() -> None:
    assert {"render_html", "write_html_report", "load_results"} <= set(report.__all__)
    assert all(hasattr(report, name) for name in report.__all__)


def test_the_report_reads_results_only_and_never_imports_the_runner() -> None:
    # bounded_json reads any bytes without recursion: results.json may come from anywhere.
    allowed = {"conformance.report", "conformance.errors", "conformance.contract.bounded_json"}
    for module in Path(report.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance"):
                assert any(node.module.startswith(prefix) for prefix in allowed), (module.name, node.module)
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("conformance.") for alias in node.names), module.name
