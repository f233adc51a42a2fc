"""Showing a run on the terminal: a progress bar on a TTY, plain lines in CI, and the report folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import click

from conformance.runner import ItemFinished, RunFinished, RunResult, RunStarted
from conformance.runner.differences import DIFFERENCE_STANDINGS, Differences
from conformance.runner.events import Event


def printable(text: str) -> str:
    """``text`` safe to print: controls (an ESC that would repaint the terminal), lone surrogates escaped.

    Messages quote what the target sent, and that may be any character at all.

    >>> printable("red\\x1b[31m")
    'red\\\\x1b[31m'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def interactive() -> bool:
    """A progress bar only on a terminal and never in CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def follow(events: Iterable[Event], redact: Callable[[str], str], *, failures: bool = True) -> RunResult:
    """Consume a run's events, showing progress and, unless ``failures`` is false, each failing case.

    Returns the run's result.
    """
    if interactive():
        return _follow_bar(events)
    return _follow_plain(events, redact, failures)


def _follow_plain(events: Iterable[Event], redact: Callable[[str], str], failures: bool) -> RunResult:
    step = 1
    for event in events:
        if isinstance(event, RunStarted):
            step = max(1, event.total // 10)
            click.echo(f"conformance: {event.total} cases and scenarios, seed {event.seed}", err=True)
        elif isinstance(event, ItemFinished):
            result = event.result
            if result.outcome != "passed" and failures:
                # The error may quote what the target sent; ids and check names are ours.
                failed = ", ".join(k for k, v in result.checks.items() if v != "passed")
                detail = redact(result.error) if result.error else failed
                click.echo(
                    printable(f"[{event.index}/{event.total}] {result.outcome}: {result.id} ({detail})"),
                    err=True,
                )
            elif event.index % step == 0 or event.index == event.total:
                click.echo(f"[{event.index}/{event.total}] done", err=True)
        elif isinstance(event, RunFinished):
            return event.result
    raise RuntimeError("the run ended without a result")


def _follow_bar(events: Iterable[Event]) -> RunResult:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("conformance", total=None)
        for event in events:
            if isinstance(event, RunStarted):
                progress.update(task, total=event.total, description=f"seed {event.seed}")
            elif isinstance(event, ItemFinished):
                progress.update(task, completed=event.index)
            elif isinstance(event, RunFinished):
                return event.result
    raise RuntimeError("the run ended without a result")


def report_folder(report_dir: Path | None) -> Path:
    """The folder given, or a new ``reports/<timestamp>/`` with ``reports/latest`` pointing at it."""
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        return report_dir
    root = Path("reports")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = root / stamp, 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    latest = root / "latest"
    try:
        if latest.is_symlink() or latest.is_file():
            latest.unlink()
        if not latest.exists():
            latest.symlink_to(folder.name, target_is_directory=True)
    except OSError:
        pass  # a filesystem without symlinks: the timestamped folder is still there
    return folder


def print_outcome(result: RunResult, folder: Path, written: list[Path]) -> None:
    result = result.redacted()  # the reason and messages may quote what the target sent
    c = result.counts
    verdict = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[result.verdict]
    click.echo(
        f"{verdict}: {c['cases_passed']}/{c['cases']} cases passed, {c['new_failures']} new failure(s), "
        f"{c['baselined']} accepted by the baseline, {c['cases_error']} could not be judged; "
        f"seed {result.seed}; exit {result.exit_code}"
    )
    if result.reason:
        click.echo(printable(f"Reason: {result.reason}"))
    if result.stopped:
        click.echo(printable(f"Stopped: {result.stopped}"))
    for check in result.checks:
        new = [f for f in check.failures if not f.baselined]
        if new:
            first = new[0].message.split("\n")[0]
            click.echo(
                printable(
                    f"  {check.status} {check.check.id} ({check.check.severity}) "
                    f"on {len(new)} case(s), e.g. {new[0].case_id}: {first}"
                )
            )
    if result.baseline is not None and result.baseline.fixed:
        click.echo(
            f"  {len(result.baseline.fixed)} baseline entr(y/ies) now pass: shrink {result.baseline.path}"
        )
    if result.differences is not None:
        _print_differences(result.differences)
    click.echo(f"Reports: {', '.join(str(p) for p in written)}")


def _print_differences(found: Differences) -> None:
    from conformance.diff.noise import describe  # conformance diff's alone; `run` need not load it

    counts = found.counts()
    total = {standing: sum(row[standing] for row in counts.values()) for standing in DIFFERENCE_STANDINGS}
    click.echo(
        f"Differences from the reference: {total['counted']} counted, {total['accepted']} accepted, "
        f"{total['noise']} discounted as noise (the {found.noise_sample} was asked twice); "
        f"{found.texts_same} of {found.texts_compared} generated texts the same"
    )
    for klass, row in counts.items():
        listed = [d for d in found.differences if d.klass == klass and d.standing != "noise"]
        if not listed:
            continue
        first = listed[0]
        where = first.case_id if first.exchange is None else f"{first.case_id} request {first.exchange + 1}"
        said = (
            f"reference {describe(first.fact, first.reference)}, target {describe(first.fact, first.target)}"
        )
        note = f" ({first.note})" if first.note else ""
        click.echo(
            printable(
                f"  {klass}: {row['counted']} counted, {row['accepted']} accepted; "
                f"e.g. {where}: {first.fact}: {said}{note}"
            )
        )
