"""The ``conformance`` command line: parse options, call the library, map verdicts to exit codes.

Each subcommand lives in its own module, imported only when that command is
invoked (`COMMANDS` says where), and imports the library inside its function:
building a command for ``--help`` loads click and the option table only, and
a command loads what it uses, never another command's dependencies (a
server, schemathesis, Locust). Nothing but option parsing and output
formatting belongs here.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import click

from conformance.errors import ConformanceError, TargetError, UsageError


class Subcommand(NamedTuple):
    """Where a subcommand lives, and its one-line help for ``conformance --help``."""

    location: str
    """``"module:attribute"`` of the click command."""
    summary: str
    """The first line of the command's docstring (tests/cli/test_imports.py keeps them equal)."""


COMMANDS: dict[str, Subcommand] = {
    "cases": Subcommand(
        "conformance.cli.cases:cases",
        "Print the case catalogue: drawn valid, built boundary and built invalid cases.",
    ),
    "checks": Subcommand(
        "conformance.cli.checks:checks",
        "List every registered check: id, severity, description and contract clause.",
    ),
    "diff": Subcommand(
        "conformance.cli.diff:diff_command",
        "Send the same cases to an implementation and to a reference, and report where they disagree.",
    ),
    "fuzz": Subcommand(
        "conformance.cli.fuzz:fuzz_command",
        "Fuzz an implementation with schemathesis, our checks running inside it, and write the reports.",
    ),
    "load": Subcommand(
        "conformance.cli.load:load_command",
        "Load an implementation with simulated users and judge every exchange with the exchange checks.",
    ),
    "openapi": Subcommand(
        "conformance.cli.openapi:openapi",
        "Print the OpenAPI 3.1 document of the run endpoint, generated from the vendored schemas.",
    ),
    "replay": Subcommand(
        "conformance.cli.replay:replay",
        "Re-judge RECORDING (from `conformance run --record`) offline; same reports and exit codes.",
    ),
    "report": Subcommand(
        "conformance.cli.report:report",
        "Render RESULTS (a results.json from `conformance run`) as one self-contained HTML file.",
    ),
    "run": Subcommand(
        "conformance.cli.run:run",
        "Run the conformance suite against an implementation and write its reports.",
    ),
    "schemas": Subcommand(
        "conformance.cli.schemas:schemas",
        "The published schema versions of the model, side by side (pick one with --schema-version).",
    ),
    "serve": Subcommand(
        "conformance.cli.serve:serve",
        "Serve the Workers AI run route over a real model (the reference implementation).",
    ),
    "worker": Subcommand(
        "conformance.cli.worker:worker_command",
        "Run Worker code that calls env.AI.run locally, in workerd, against any implementation.",
    ),
}
"""Every subcommand by name: the names are the interface, the modules are loaded on use."""


class _Group(click.Group):
    """Loads a subcommand's module when it is invoked; maps the library's errors to exit codes.

    UsageError exits 2 (click's usage error), TargetError 3 (the target could
    not be tested at all), any other ConformanceError 2.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = COMMANDS.get(cmd_name)
        if known is None:
            return None
        module, _, attribute = known.location.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, over stand-ins that carry the table's line: listing
        # the commands imports none of them (each pulls in its own dependencies).
        stand_ins = {name: click.Command(name, help=known.summary) for name, known in COMMANDS.items()}
        limit = formatter.width - 6 - max(len(name) for name in stand_ins)
        rows = [(name, stand_ins[name].get_short_help_str(limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc), self._subcommand_context(ctx)) from exc
        except TargetError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(3)
        except ConformanceError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)

    def _subcommand_context(self, ctx: click.Context) -> click.Context:
        # So the usage line names the subcommand ("Usage: conformance run ...")
        # rather than the group; the subcommand's own context is gone by now.
        name = ctx.invoked_subcommand
        command = self.get_command(ctx, name) if name else None
        return click.Context(command, parent=ctx, info_name=name) if command else ctx


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workers-ai-conformance", prog_name="conformance")
def main() -> None:
    """Contract tests for implementations of the Workers AI text-generation API."""
