"""Options that several subcommands share, declared once so their help reads the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from conformance.contract import DEFAULT_SCHEMA_VERSION, schema_versions

F = TypeVar("F", bound=Callable[..., object])


def schema_version_option(function: F) -> F:
    """``--schema-version NAME``, passed to the command as ``schema_version`` (checked by the library)."""
    return click.option(
        "--schema-version",
        "schema_version",
        metavar="NAME",
        default=DEFAULT_SCHEMA_VERSION,
        show_default=True,
        help="The published schema version to follow: "
        + ", ".join(v.name for v in schema_versions())
        + " (see `conformance schemas list`).",
    )(function)


def checks_module_option(function: F) -> F:
    """``--checks-module MODULE`` (repeatable), passed to the command as ``checks_modules``."""
    return click.option(
        "--checks-module",
        "checks_modules",
        metavar="MODULE",
        multiple=True,
        help="Import your own @conformance.check functions first: a dotted module name importable "
        "from the current directory, or the path of a .py file (repeatable).",
    )(function)


def verdict_options(function: F) -> F:
    """What `conformance run` and `conformance fuzz` share after the target: seed, checks, baseline, outputs.

    Passed as ``seed``, ``checks``, ``exclude_checks``, ``checks_modules``,
    ``strict``, ``baseline``, ``update_baseline``, ``record``, ``report_dir``.
    """
    options = [
        click.option(
            "--seed",
            type=int,
            default=None,
            help="Makes the run reproducible; drawn and printed when omitted.",
        ),
        click.option("--check", "checks", multiple=True, help="Run only this check (repeatable)."),
        click.option(
            "--exclude-check", "exclude_checks", multiple=True, help="Do not run this check (repeatable)."
        ),
        checks_module_option,
        click.option("--strict", is_flag=True, help="A failing 'should' check fails the run too."),
        click.option(
            "--baseline", type=click.Path(path_type=Path, dir_okay=False), help="Accepted failures (JSON)."
        ),
        click.option("--update-baseline", is_flag=True, help="Write this run's failures to --baseline."),
        click.option(
            "--record", type=click.Path(path_type=Path, dir_okay=False), help="Record every exchange (JSONL)."
        ),
        click.option(
            "--report-dir",
            type=click.Path(path_type=Path, file_okay=False),
            help="Where reports go [default: reports/<timestamp>/, with reports/latest pointing at it].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function
