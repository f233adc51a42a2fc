"""``conformance run``: send the catalogue to an implementation, judge it, write reports, exit.

conformance run --base-url http://127.0.0.1:8787/client/v4 --account-id X --profile smoke
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for

if TYPE_CHECKING:
    from conformance.transport import Target


@click.command("run")
@options_for("run")
def run(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    model: str,
    token_env: str | None,
    concurrency: int,
    timeout: float,
    connect_timeout: float,
    response_timeout: float,
    idle_timeout: float,
    profile: str,
    seed: int | None,
    no_cache: bool,
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
    """Run the conformance suite against an implementation and write its reports.

    Writes results.json, junit.xml, summary.md and report.html into --report-dir.
    Exit codes: 0 no 'must' failure, 1 a 'must' failure (or any failure with
    --strict, or the target stopped answering partway), 2 a usage error, 3 the
    target could not be tested at all.
    """
    # Imported here, not at the top: `conformance run --help` loads none of the library.
    from conformance.checks import load_check_modules
    from conformance.cli._artifacts import write_reports
    from conformance.cli._display import follow, print_outcome, report_folder
    from conformance.cli._storage import keep_hypothesis_out_of_cwd
    from conformance.cli._target import open_target, resolve_target
    from conformance.runner import RunConfig
    from conformance.runner import run as run_suite
    from conformance.runner.redaction import redact_secrets
    from conformance.transport import TransportSettings

    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)  # before the config, so --check can name their checks
    named = resolve_target(base_url, cloudflare, account_id, token_env, model)

    def config_for(target: Target) -> RunConfig:
        return RunConfig.for_target(
            target,
            profile=profile,
            seed=seed,
            concurrency=concurrency,
            transport=TransportSettings(
                read_timeout_s=timeout,
                connect_timeout_s=connect_timeout,
                max_response_s=response_timeout,
                idle_timeout_s=idle_timeout,
            ),
            checks=checks,
            exclude_checks=exclude_checks,
            strict=strict,
            baseline=baseline,
            update_baseline=update_baseline,
            record=record,
            schema_version=schema_version,
            no_cache=no_cache,
        )

    config_for(named)  # usage errors before any server starts or folder is made
    with open_target(named, schema_version) as target:
        config = config_for(target)
        click.echo(
            f"conformance: {config.profile} profile against {target.base_url}, seed {config.run_seed} "
            f"(rerun with --seed {config.run_seed})"
            + ("" if config.schema.is_default else f", schema version {config.schema.name}"),
            err=True,
        )
        secrets = (target.token,) if target.token else ()
        result = follow(run_suite(config), lambda text: redact_secrets(text, secrets))
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)
