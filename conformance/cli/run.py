"""``conformance run``: send the catalogue to an implementation, judge it, write reports, exit.

conformance run --base-url http://127.0.0.1:8787/client/v4 --account-id X --profile smoke
"""

from __future__ import annotations

from pathlib import Path

import click

from conformance.checks import load_check_modules
from conformance.cli._artifacts import write_reports
from conformance.cli._display import follow, print_outcome, report_folder
from conformance.cli._options import schema_version_option, verdict_options
from conformance.cli._storage import keep_hypothesis_out_of_cwd
from conformance.cli._target import resolve_target, target_options
from conformance.runner import PROFILES, RunConfig
from conformance.runner import run as run_suite
from conformance.runner.redaction import redact_secrets
from conformance.transport import TransportSettings


@click.command("run")
@target_options
@click.option("--concurrency", type=int, default=4, show_default=True, help="Requests in flight at once.")
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=float,
    default=TransportSettings.read_timeout_s,
    show_default=True,
    help="Read timeout: how long to wait for the response and for each piece of it.",
)
@click.option(
    "--connect-timeout",
    metavar="SECONDS",
    type=float,
    default=TransportSettings.connect_timeout_s,
    show_default=True,
    help="How long to wait for a connection.",
)
@click.option(
    "--response-timeout",
    metavar="SECONDS",
    type=float,
    default=TransportSettings.max_response_s,
    show_default=True,
    help="The most one response may take, head to last byte, streamed or not.",
)
@click.option(
    "--idle-timeout",
    metavar="SECONDS",
    type=float,
    default=TransportSettings.idle_timeout_s,
    show_default=True,
    help="The longest a stream may go without a byte once it has started; longer is a stalled stream. "
    "A model sends a token every second or faster on a CPU, every few tens of milliseconds on a GPU.",
)
@click.option("--profile", default="standard", show_default=True, help=f"One of {', '.join(PROFILES)}.")
@verdict_options
@schema_version_option
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
    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)  # before the config, so --check can name their checks
    target = resolve_target(base_url, cloudflare, account_id, token_env, schema_version=schema_version)
    token, account_id, embedded = target.token, target.account_id, target.embedded

    def config_for(url: str) -> RunConfig:
        return RunConfig(
            base_url=url,
            account_id=account_id or "",
            model=model,
            token=token,
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
            embedded=embedded,
            schema_version=schema_version,
        )

    if not embedded:
        config_for(target.base_url or "")  # usage errors before any server starts or folder is made
    with target.opened as url:
        config = config_for(url)
        click.echo(
            f"conformance: {config.profile} profile against {url}, seed {config.run_seed} "
            f"(rerun with --seed {config.run_seed})"
            + ("" if config.schema.is_default else f", schema version {config.schema.name}"),
            err=True,
        )
        result = follow(run_suite(config), lambda text: redact_secrets(text, (token,) if token else ()))
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)
