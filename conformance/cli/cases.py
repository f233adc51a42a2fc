"""``conformance cases``: print the case catalogue."""

from __future__ import annotations

import click


@click.command()
def cases() -> None:
    """Print the generated case catalogue."""
    raise click.ClickException("not built yet")
