"""Drive Debian's chromium headless: dump a page's DOM or take a screenshot of it.

Shared by the report's browser tests and benchmarks/report_render.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str | None:
    """The chromium binary, or None where it is not installed."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


def _run(page: Path, *flags: str, timeout: float = 120) -> tuple[str, float]:
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        started = time.perf_counter()
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *flags, _uri(page)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout, elapsed


def _uri(page: Path) -> str:
    # A fragment (report.html#failures?check=...) travels with the file name.
    name, hash_mark, fragment = page.name.partition("#")
    return page.with_name(name).resolve().as_uri() + hash_mark + fragment


def dump_dom(page: Path) -> str:
    """The page's DOM after load, serialised, as chromium's --dump-dom prints it."""
    return _run(page, "--dump-dom")[0]


def screenshot(page: Path, out: Path, *, width: int = 1280, height: int = 1600) -> float:
    """Write a PNG of the top of the page; return the seconds chromium took in all."""
    return _run(page, f"--screenshot={out.resolve()}", f"--window-size={width},{height}")[1]


def print_to_pdf(page: Path, out: Path) -> float:
    """Print the page to PDF as a reader would (print CSS applies); return the seconds it took."""
    return _run(page, f"--print-to-pdf={out.resolve()}", "--no-pdf-header-footer")[1]
