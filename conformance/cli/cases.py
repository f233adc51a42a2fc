"""``conformance cases``: print the case catalogue as a table or as JSON lines."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for

if TYPE_CHECKING:
    from conformance.generation import Case

# generation's CaseKind values and DEFAULT_COUNT, spelled out so that building
# this command (for --help) loads no Hypothesis; tests/cli/test_imports.py keeps them equal.
KINDS = ("valid", "boundary", "invalid")
DEFAULT_COUNT = 50


@click.command()
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(KINDS),
    multiple=True,
    help="Which catalogue to print; repeat for several. Default: all three.",
)
@click.option(
    "--count",
    type=click.IntRange(min=0),
    default=DEFAULT_COUNT,
    show_default=True,
    help="How many valid cases to draw.",
)
@options_for("cases", "verdict")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="table: one summarised line per case; jsonl: one JSON object per case, full bodies.",
)
@options_for("cases", "schema")
def cases(
    kinds: tuple[str, ...], count: int, seed: int, no_cache: bool, output_format: str, schema_version: str
) -> None:
    """Print the case catalogue: drawn valid, built boundary and built invalid cases.

    \b
    conformance cases --kind boundary
    conformance cases --kind valid --count 200 --seed 7 --format jsonl > valid.jsonl
    conformance cases --kind boundary --schema-version docs-2025-01
    """
    from conformance.cli._storage import keep_hypothesis_out_of_cwd
    from conformance.generation import catalogue

    keep_hypothesis_out_of_cwd()
    found = catalogue(kinds or KINDS, count=count, seed=seed, schema=schema_version, cache=not no_cache)
    if output_format == "jsonl":
        for case in found:
            # ASCII escapes keep U+2028, U+0085 and NUL out of the output, so
            # readers that split lines with str.splitlines() still see one case a line.
            click.echo(json.dumps(case.to_json(), ensure_ascii=True))
    else:
        _print_table(found)


_WIDE = 140


def _print_table(found: list[Case]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from conformance.generation import CaseKind
    from conformance.generation.cases import body_line

    console = Console(soft_wrap=False, highlight=False)
    # Labels only where they fit beside the body: a narrow terminal keeps id, expect, body.
    with_labels = console.width >= _WIDE
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("id", overflow="fold", max_width=48 if with_labels else 36)
    table.add_column("expect", no_wrap=True)
    if with_labels:
        table.add_column("label", overflow="ellipsis", no_wrap=True, ratio=1)
    table.add_column("body", overflow="ellipsis", no_wrap=True, ratio=1)
    for case in found:
        expect = case.expect.value + (f" {case.violates[1]}" if case.violates else "")
        body = body_line(case.body, width=console.width)
        cells = (case.id, expect, case.label, body) if with_labels else (case.id, expect, body)
        # Text, not str: bodies hold brackets ("[INST]") that rich would read as markup.
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    counts = Counter(case.kind.value for case in found)
    summary = ", ".join(f"{counts[kind.value]} {kind.value}" for kind in CaseKind if counts[kind.value])
    console.print(f"{len(found)} cases: {summary or 'none'}", markup=False)
