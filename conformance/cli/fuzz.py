"""``conformance fuzz``: schemathesis's phases against an implementation, judged and reported as `run` is.

conformance fuzz --base-url http://127.0.0.1:8787/client/v4 --account-id X --max-examples 20
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for

if TYPE_CHECKING:
    from conformance.fuzz.engine import Sending
    from conformance.runner import RunConfig
    from conformance.runner.events import Event
    from conformance.transport import Target

# The fuzz engine's PHASES and MODES, spelled out so that building this command (for
# --help) loads no schemathesis; tests/cli/test_imports.py keeps them equal.
PHASES = ("examples", "coverage", "fuzzing")
MODES = ("positive", "negative", "all")


@click.command("fuzz")
@options_for("fuzz", "target")
@click.option(
    "--max-examples",
    type=int,
    default=20,
    show_default=True,
    help="Examples schemathesis draws per phase and generation mode.",
)
@click.option(
    "--phase",
    "phases",
    multiple=True,
    help=f"Run only this schemathesis phase (repeatable): {', '.join(PHASES)} [default: all three].",
)
@click.option(
    "--mode",
    default="all",
    show_default=True,
    help=f"Generated data: {', '.join(MODES)} (valid, invalid, both).",
)
@click.option("--workers", type=int, default=1, show_default=True, help="schemathesis workers (threads).")
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=float,
    default=120.0,
    show_default=True,
    help="How long schemathesis waits for each response.",
)
@options_for("fuzz", "sending", "verdict", "schema")
def fuzz_command(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    model: str,
    token_env: str | None,
    max_examples: int,
    phases: tuple[str, ...],
    mode: str,
    workers: int,
    timeout: float,
    idle_timeout: float,
    seed: int | None,
    checks: tuple[str, ...],
    exclude_checks: tuple[str, ...],
    checks_modules: tuple[str, ...],
    strict: bool,
    baseline: Path | None,
    update_baseline: bool,
    record: Path | None,
    report_dir: Path | None,
    schema_version: str,
) -> None:
    """Fuzz an implementation with schemathesis, our checks running inside it, and write the reports.

    schemathesis's examples, coverage and fuzzing phases send positive and
    negative requests from schemas/openapi.json; its own checks and ours judge
    each response. Reports, baseline and exit codes are those of `conformance run`:
    0 no 'must' failure, 1 a 'must' failure, 2 a usage error, 3 the target could
    not be tested or schemathesis failed internally (the message says which).
    """
    from conformance.checks import load_check_modules
    from conformance.cli._artifacts import write_reports
    from conformance.cli._display import follow, print_outcome, report_folder
    from conformance.cli._storage import keep_hypothesis_out_of_cwd
    from conformance.cli._target import open_target, resolve_target
    from conformance.fuzz.engine import FuzzSettings, fuzz
    from conformance.runner import RunConfig
    from conformance.runner.redaction import redact_secrets

    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)
    settings = FuzzSettings(
        max_examples=max_examples,
        phases=tuple(dict.fromkeys(phases)) or PHASES,
        mode=mode,
        workers=workers,
        request_timeout_s=timeout,
        idle_timeout_s=idle_timeout,
    )
    named = resolve_target(base_url, cloudflare, account_id, token_env, model)

    def config_for(target: Target) -> RunConfig:
        return RunConfig.for_target(
            target,
            seed=seed,
            checks=checks,
            exclude_checks=exclude_checks,
            strict=strict,
            baseline=baseline,
            update_baseline=update_baseline,
            record=record,
            cases=(),
            schema_version=schema_version,
        )

    config_for(named)  # usage errors before any server starts or folder is made
    with open_target(named, schema_version) as target:
        config = config_for(target)
        click.echo(
            f"conformance fuzz: schemathesis {', '.join(settings.phases)} ({settings.mode} data, "
            f"{settings.max_examples} examples) against {target.base_url}, seed {config.run_seed} "
            f"(rerun with --seed {config.run_seed})"
            + ("" if config.schema.is_default else f", schema version {config.schema.name}"),
            err=True,
        )
        secrets = (target.token,) if target.token else ()
        result = follow(_show_sending(fuzz(config, settings)), lambda text: redact_secrets(text, secrets))
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)


def _show_sending(events: Iterable[Sending | Event]) -> Iterator[Event]:
    """Shows schemathesis's progress while it sends, then hands the run's events on."""
    from conformance.cli._display import interactive
    from conformance.fuzz.engine import Sending

    if interactive():
        yield from _with_spinner(events)
        return
    phase = None
    for event in events:
        if isinstance(event, Sending):
            if event.phase != phase:
                phase = event.phase
                click.echo(f"schemathesis: {phase} phase ({event.sent} requests so far)", err=True)
        else:
            yield event


def _with_spinner(events: Iterable[Sending | Event]) -> Iterator[Event]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from conformance.fuzz.engine import Sending

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("schemathesis: starting", total=None)
    with progress:
        iterator = iter(events)
        for event in iterator:
            if isinstance(event, Sending):
                progress.update(task, description=f"schemathesis {event.phase}: {event.sent} requests")
            else:
                progress.stop()
                yield event
                break
    yield from (e for e in iterator if not isinstance(e, Sending))
