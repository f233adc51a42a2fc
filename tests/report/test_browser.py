"""The report in a real headless browser (Debian's chromium): what a reader sees after load.

``make test`` installs chromium with apt-get where it can; these tests skip
only where it could not. Run them with CONFORMANCE_UPDATE_SCREENSHOTS=1 to
refresh docs/images/report-pass.png and report-fail.png.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conformance.report import write_html_report
from support.chromium import chromium, dump_dom, print_to_pdf, screenshot
from support.results_builder import failing_run, passing_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium() is None,
        reason="chromium is not installed and `make test` could not install it "
        "(it runs `apt-get install -y chromium`, which needs root and the Debian mirrors)",
    ),
]

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report")
    return {
        "pass": write_html_report(passing_run(), folder / "pass.html"),
        "fail": write_html_report(failing_run(), folder / "fail.html"),
    }


def text_of(dom: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', dom)
    assert match, f"no element #{element_id} in the rendered DOM"
    return match.group(1)


def test_a_passing_run_reads_pass(pages: dict[str, Path]) -> None:
    dom = dump_dom(pages["pass"])
    assert text_of(dom, "verdict") == "PASS"
    assert text_of(dom, "failure-count") == "0"
    assert "No new failures." in dom
    # The page's own script ran: the Content-Security-Policy hash matches it.
    assert re.search(r'<html[^>]* data-ready-ms="\d+"', dom)


def test_a_failing_run_reads_fail_with_its_failures(pages: dict[str, Path]) -> None:
    dom = dump_dom(pages["fail"])
    assert text_of(dom, "verdict") == "FAIL"
    assert text_of(dom, "verdict-sentence").startswith(
        "The target does not conform: 7 new failures in 7 cases."
    )
    assert text_of(dom, "failure-count") == "7"
    failures = dom.partition('<section id="failures">')[2].partition('<section id="baseline">')[0]
    assert failures.count('<article class="case"') == 7
    assert '<form class="filters no-print" id="filters">' in dom, "the script shows the filters"


def test_target_markup_stays_text_in_the_browser(pages: dict[str, Path]) -> None:
    dom = dump_dom(pages["fail"])
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in dom
    assert "<img" not in dom
    assert dom.count("<script") == 2


def test_screenshots(pages: dict[str, Path], tmp_path: Path) -> None:
    for name, page in pages.items():
        out = tmp_path / f"report-{name}.png"
        screenshot(page, out, width=1280, height=1600)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert out.stat().st_size > 20_000, "a blank page compresses far smaller"
        if os.environ.get("CONFORMANCE_UPDATE_SCREENSHOTS") == "1":
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, DOCS_IMAGES / out.name)


def test_a_filtered_link_hides_other_failures(pages: dict[str, Path], tmp_path: Path) -> None:
    link = pages["fail"].with_name("fail.html#failures?check=http_framing_conformance&class=streaming")
    dom = dump_dom(link)
    failures = dom.partition('<section id="failures">')[2].partition('<section id="baseline">')[0]
    shown = re.findall(
        r'<article class="case" id="case-\d+" data-checks="([^"]*)" data-class="(\w+)">', failures
    )
    hidden = re.findall(r'<article class="case" id="case-\d+" [^>]*hidden=""', failures)
    assert shown == [("http_framing_conformance", "streaming")]
    assert len(hidden) == 6
    assert "showing 1 of 7 failing cases" in dom


def test_the_report_prints(pages: dict[str, Path], tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    print_to_pdf(pages["fail"], pdf)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    printed = len(re.findall(rb"/Type\s*/Page(?![s\w])", content))
    assert printed >= 5, "every failure prints, folded exchanges unfolded"
