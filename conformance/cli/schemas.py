"""``conformance schemas``: the vendored schema versions, and what changed between two of them.

conformance schemas list
conformance schemas diff page-2024 docs-2025-01
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


class _VersionName(click.ParamType[str]):
    """A vendored version's name: `click.Choice` over the names, built when a value is checked,
    so building the command (for --help) loads no contract and no JSON Schema validator."""

    name = "choice"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return _choice().convert(value, param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return _choice().shell_complete(ctx, param, incomplete)


def _choice() -> click.Choice[str]:
    from conformance.contract import schema_versions

    return click.Choice([v.name for v in schema_versions()])


_NAMES = _VersionName()


@click.group()
def schemas() -> None:
    """The published schema versions of the model, side by side (pick one with --schema-version)."""


@schemas.command("list")
def list_versions() -> None:
    """Every vendored version: name, date, what it is, where it was published."""
    from conformance.contract import schema_versions

    for version in schema_versions():
        entry = version.provenance()
        source = entry["source"]
        default = " (default)" if version.is_default else ""
        click.echo(f"{version.name}{default}  {entry['date']}")
        click.echo(f"  {entry['summary']}")
        click.echo(
            f"  source: {source['repository']} {source['path']} at commit {source['commit'][:12]} "
            f"({source['date']})"
        )
        click.echo(f"  files: {version.input_file}, {version.output_file}, {version.published_file}")


@schemas.command("diff")
@click.argument("old", type=_NAMES, metavar="OLD")
@click.argument("new", type=_NAMES, metavar="NEW")
def diff(old: str, new: str) -> None:
    """What changed from version OLD to version NEW: in words, then by JSON pointer.

    \b
    conformance schemas diff page-2024 docs-2025-01
    """
    from conformance.contract import SchemaDiff, schema_version

    changes = SchemaDiff.of(schema_version(old), schema_version(new))
    if not changes.changes:
        click.echo(f"{old} -> {new}: no differences in the input or output schema")
        return
    click.echo(f"{old} -> {new}")
    for sentence in changes.sentences():
        click.echo(sentence)
    click.echo("")
    click.echo("By JSON pointer (in each part's schema):")
    for change in changes.changes:
        click.echo(f"  {change.part:<7}{change.kind:<8} {change.pointer}")
