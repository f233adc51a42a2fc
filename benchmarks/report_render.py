"""How big the HTML report of a large run is, and how long rendering and a browser take.

    .venv/bin/python benchmarks/report_render.py --cases 5000 --failing-every 97 10 2

Builds synthetic results (tests/support/results_builder.py; by default about 1 case
in 97 fails, ``--failing-every 2`` makes it about 1 in 3) and prints a
Markdown table:

- render: ``render_html`` in Python, median of ``--runs``;
- ready: milliseconds from navigation start until the page's own script ran
  (it runs last, after the whole document is parsed), read from the
  ``data-ready-ms`` attribute chromium's ``--dump-dom`` shows;
- screenshot: wall time of a whole ``chromium --headless --screenshot`` run
  (start-up, load, layout and paint), to compare with the same for an empty
  page, printed first. On a busy machine the difference is noisy; the ready
  time is the steadier measure.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conformance.report import render_html
from support.chromium import chromium, dump_dom, screenshot
from support.results_builder import large_run


def measure(cases: int, failing_every: int, runs: int, folder: Path) -> str:
    results = large_run(cases, failing_every=failing_every)
    renders = []
    for _ in range(runs):
        started = time.perf_counter()
        html = render_html(results)
        renders.append(time.perf_counter() - started)
    page = folder / f"report-{cases}.html"
    page.write_text(html, encoding="utf-8")
    ready, painted = [], []
    for _ in range(runs):
        found = re.search(r'data-ready-ms="(\d+)"', dump_dom(page))
        ready.append(int(found.group(1)) if found else float("nan"))
        painted.append(screenshot(page, folder / "shot.png", height=1000))
    failing = results["counts"]["cases_failed"]
    return (
        f"| {cases:,} | {failing:,} | {len(html.encode()) / 1024:,.0f} KiB "
        f"| {statistics.median(renders) * 1000:,.0f} ms | {statistics.median(ready):,.0f} ms "
        f"| {statistics.median(painted) * 1000:,.0f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[5000])
    parser.add_argument(
        "--failing-every",
        type=int,
        nargs="+",
        default=[97],
        help="one case in N fails (valid and boundary cases only)",
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if chromium() is None:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty = folder / "empty.html"
        empty.write_text("<!doctype html><title>empty</title>", encoding="utf-8")
        blank = statistics.median(
            screenshot(empty, folder / "shot.png", height=1000) for _ in range(args.runs)
        )
        print(f"screenshot of an empty page (chromium start-up): {blank * 1000:,.0f} ms\n")
        print("| cases | failing | file | render (Python) | ready in chromium | screenshot |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for cases in args.cases:
            for every in args.failing_every:
                print(measure(cases, every, args.runs, folder), flush=True)


if __name__ == "__main__":
    main()
