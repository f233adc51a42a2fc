"""``conformance report``: render the HTML report from a stored results.json."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("results", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the report [default: report.html beside RESULTS].",
)
def report(results: Path, output: Path | None) -> None:
    """Render RESULTS (a results.json from `conformance run`) as one self-contained HTML file.

    \b
    Example:
      conformance report reports/latest/results.json -o report.html
    """
    from conformance.report import write_html_beside

    # load_results raises UsageError (exit 2) for a missing file, bad JSON or another format version.
    written = write_html_beside(results, output)
    click.echo(f"Wrote {written}")
