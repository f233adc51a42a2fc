"""``conformance checks``: list the registered checks, the names ``--check`` and ``--exclude-check`` take."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for

if TYPE_CHECKING:
    from conformance.checks import Check


@click.command()
@options_for("checks", "verdict")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: one row per check; json: a list of {id, severity, kind, description, clause}.",
)
def checks(checks_modules: tuple[str, ...], output_format: str) -> None:
    """List every registered check: id, severity, description and contract clause.

    \b
    conformance checks
    conformance checks --checks-module my_checks.py --format json
    """
    from conformance.checks import load_check_modules, registry

    load_check_modules(checks_modules)
    found = registry.all()
    if output_format == "json":
        click.echo(json.dumps([_as_json(item) for item in found], indent=2))
    else:
        _print_table(found)


def _as_json(item: Check) -> dict[str, str]:
    return {
        "id": item.id,
        "severity": item.severity,
        "kind": "scenario" if item.is_scenario else "exchange",
        "description": item.description,
        "clause": item.clause,
    }


def _print_table(found: list[Check]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from conformance.checks import SEVERITIES

    console = Console(soft_wrap=False, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("description", ratio=2)
    table.add_column("clause", ratio=1)
    for item in found:
        # Text, not str: descriptions hold brackets that rich would read as markup.
        table.add_row(*(Text(cell) for cell in (item.id, item.severity, item.description, item.clause)))
    console.print(table)
    counts = Counter(item.severity for item in found)
    by_severity = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    console.print(
        f"{len(found)} checks: {by_severity or 'none'}. "
        "Select with --check ID, leave out with --exclude-check ID.",
        markup=False,
    )
