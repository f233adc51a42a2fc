"""``conformance replay``: re-judge a recording offline with the current checks.

conformance replay capture.jsonl --report-dir reports/replay
"""

from __future__ import annotations

from pathlib import Path

import click

from conformance.checks import load_check_modules
from conformance.cli._artifacts import write_reports
from conformance.cli._display import follow, print_outcome, report_folder
from conformance.cli._options import checks_module_option
from conformance.runner import replay as replay_recording


@click.command("replay")
@click.argument("recording", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--check", "checks", multiple=True, help="Judge only with this check (repeatable).")
@click.option(
    "--exclude-check", "exclude_checks", multiple=True, help="Do not judge with this check (repeatable)."
)
@checks_module_option
@click.option(
    "--schema-version",
    "schema_version",
    metavar="NAME",
    default=None,
    help="Judge by this schema version instead of the one the recording names "
    "(see `conformance schemas list`).",
)
@click.option("--strict", is_flag=True, help="A failing 'should' check fails the run too.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), help="Accepted failures (JSON).")
@click.option("--update-baseline", is_flag=True, help="Write the failures found to --baseline.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where reports go [default: reports/<timestamp>/].",
)
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
