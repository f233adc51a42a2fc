"""Options that several subcommands share, declared once so their help reads the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


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
