"""The click options of `conformance.options`' table: ``@options_for("run")`` on a command.

Each shared option is declared once, in the table; a command takes the ones
the table gives it, so their names, types, defaults and environment variables
read the same under every command (and in the pytest plugin).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from conformance.options import Option, taken_by

F = TypeVar("F", bound=Callable[..., object])

_TYPES: dict[str, Any] = {
    "text": None,
    "integer": int,
    "number": float,
    "file": click.Path(path_type=Path, dir_okay=False),
    "folder": click.Path(path_type=Path, file_okay=False),
}


def options_for(front_end: str, *groups: str) -> Callable[[F], F]:
    """The table's options ``front_end`` takes (of ``groups``: target, sending, verdict, schema), as
    click options in the table's order.

    >>> @click.command()
    ... @options_for("openapi")
    ... def openapi(model: str, schema_version: str) -> None: ...
    """
    options = [click_option(option) for option in taken_by(front_end, *groups)]

    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def click_option(option: Option) -> Callable[[F], F]:
    """One table entry as a click option."""
    declarations = (option.flag, option.parameter) if option.dest else (option.flag,)
    if option.kind == "flag":
        return click.option(*declarations, is_flag=True, help=option.help)
    return click.option(
        *declarations,
        type=_TYPES[option.kind],
        default=option.default,
        show_default=option.default is not None,
        multiple=option.repeatable,
        envvar=option.env,
        metavar=option.metavar,
        help=option.help,
    )
