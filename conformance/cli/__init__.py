"""The ``conformance`` command line: parse options, call the library, map verdicts to exit codes.

Each subcommand lives in its own module; nothing but option parsing and
output formatting belongs here.
"""

from __future__ import annotations

from typing import Any

import click

from conformance.cli.cases import cases
from conformance.cli.checks import checks
from conformance.cli.diff import diff_command
from conformance.cli.fuzz import fuzz_command
from conformance.cli.load import load_command
from conformance.cli.openapi import openapi
from conformance.cli.replay import replay
from conformance.cli.report import report
from conformance.cli.run import run
from conformance.cli.schemas import schemas
from conformance.cli.serve import serve
from conformance.cli.worker import worker_command
from conformance.errors import ConformanceError, TargetError, UsageError


class _Group(click.Group):
    """Maps the library's errors to messages and exit codes, never a traceback.

    UsageError exits 2 (click's usage error), TargetError 3 (the target could
    not be tested at all), any other ConformanceError 2.
    """

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


main.add_command(cases)
main.add_command(checks)
main.add_command(diff_command)
main.add_command(fuzz_command)
main.add_command(load_command)
main.add_command(openapi)
main.add_command(report)
main.add_command(run)
main.add_command(replay)
main.add_command(schemas)
main.add_command(serve)
main.add_command(worker_command)
