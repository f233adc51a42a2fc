"""``conformance replay``: re-judge a recording offline with the current checks.

conformance replay capture.jsonl --report-dir reports/replay
"""

from __future__ import annotations

from pathlib import Path

import click

from conformance.cli._options import options_for


@click.command("replay")
@click.argument("recording", type=click.Path(path_type=Path, dir_okay=False))
@options_for("replay")
def replay(
    recording: Path,
    checks: tuple[str, ...],
    exclude_checks: tuple[str, ...],
    checks_modules: tuple[str, ...],
    schema_version: str | None,
    strict: bool,
    baseline: Path | None,
    update_baseline: bool,
    report_dir: Path | None,
) -> None:
    """Re-judge RECORDING (from `conformance run --record`) offline; same reports and exit codes."""
    from conformance.checks import load_check_modules
    from conformance.cli._artifacts import write_reports
    from conformance.cli._display import follow, print_outcome, report_folder
    from conformance.runner import replay as replay_recording

    load_check_modules(checks_modules)
    events = replay_recording(
        recording,
        checks=checks,
        exclude_checks=exclude_checks,
        strict=strict,
        baseline=baseline,
        update_baseline=update_baseline,
        schema_version=schema_version,
    )
    result = follow(events, lambda text: text)
    folder = report_folder(report_dir)
    print_outcome(result, folder, write_reports(result, folder))
    raise SystemExit(result.exit_code)
