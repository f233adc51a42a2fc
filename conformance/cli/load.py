"""``conformance load``: the contract judged on every exchange under load, on Locust; reports and exit code.

conformance load --base-url URL --account-id X --users 64 --spawn-rate 8 --run-time 60s
conformance load --embedded --users 16 --run-time 20s --processes 2
conformance load --master --expect-workers 4 ...        # on one machine
conformance load --worker --master-host HOST             # on each of the others
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for
from conformance.errors import UsageError

if TYPE_CHECKING:
    from conformance.runner import RunResult
    from conformance.transport import Target

# The load settings' MIX_CLASSES and defaults, spelled out so that building this command
# (for --help) loads neither the contract nor httpx; tests/cli/test_imports.py keeps them equal.
MIX_CLASSES = ("valid", "stream", "boundary", "invalid")
DEFAULT_MIX = "valid=6,stream=3,boundary=1,invalid=1"
DEFAULT_RUN_TIME = "60s"
DEFAULT_MASTER_PORT = 5557


@click.command("load")
@options_for("load", "target")
@click.option(
    "--users", type=int, default=8, show_default=True, help="Simulated users, each one request at a time."
)
@click.option("--spawn-rate", type=float, default=8.0, show_default=True, help="Users started per second.")
@click.option(
    "--run-time", default=DEFAULT_RUN_TIME, show_default=True, help="How long the load lasts: 20s, 2m, 1h."
)
@click.option(
    "--mix",
    default=DEFAULT_MIX,
    show_default=True,
    help=f"Weights of what users send: {', '.join(MIX_CLASSES)} (CLASS=WEIGHT, comma-separated).",
)
@click.option(
    "--max-failure-ratio",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of a must check's exchanges allowed to fail (0: any failure fails the run).",
)
@click.option(
    "--p95-ttft", metavar="DURATION", help="Fail when p95 time to first streamed event exceeds this (2s)."
)
@click.option(
    "--min-tokens-per-second", type=float, help="Fail when fewer tokens per second came back in all."
)
@click.option(
    "--processes",
    type=int,
    default=0,
    show_default=True,
    help="Locust workers on this machine (0: one process).",
)
@click.option("--master", is_flag=True, help="Be the Locust master of workers started elsewhere.")
@click.option(
    "--expect-workers", type=int, default=0, help="With --master: workers to wait for before starting."
)
@click.option("--worker", is_flag=True, help="Be a Locust worker of the master at --master-host.")
@click.option(
    "--master-host", default="127.0.0.1", show_default=True, help="With --worker: the master's host."
)
@click.option(
    "--master-port", type=int, default=DEFAULT_MASTER_PORT, show_default=True, help="The master's port."
)
@click.option(
    "--master-bind-host", default="*", show_default=True, help="With --master: the interface to listen on."
)
@options_for("load", "verdict", "schema")
def load_command(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    model: str,
    token_env: str | None,
    embedded: bool,
    users: int,
    spawn_rate: float,
    run_time: str,
    mix: str,
    max_failure_ratio: float,
    p95_ttft: str | None,
    min_tokens_per_second: float | None,
    processes: int,
    master: bool,
    expect_workers: int,
    worker: bool,
    master_host: str,
    master_port: int,
    master_bind_host: str,
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
    """Load an implementation with simulated users and judge every exchange with the exchange checks.

    Locust runs the users (in one process, --processes N here, or a --master
    with --worker processes on other machines); each check's outcome is a
    Locust request event. Writes results.json (with its load section),
    junit.xml, summary.md, report.html and Locust's CSV files into --report-dir.
    Exit codes: 0 every gate passed, 1 a must check failed (beyond
    --max-failure-ratio) or a gate was crossed, 2 a usage error, 3 the target
    could not be tested at all.
    """
    from conformance.checks import load_check_modules
    from conformance.cli._artifacts import write_reports
    from conformance.cli._display import report_folder
    from conformance.cli._target import open_target, resolve_target
    from conformance.generation import valid_cases
    from conformance.load.engine import Cluster, probe, run_processes, run_worker
    from conformance.load.mix import Pools
    from conformance.load.section import load_result
    from conformance.load.settings import (
        DEFAULT_VALID_DRAWS,
        Gates,
        LoadSettings,
        parse_duration,
        parse_mix,
        series_interval,
    )
    from conformance.runner import RunConfig
    from conformance.transport import token_from_environment

    for option, given in (
        ("--baseline", baseline),
        ("--update-baseline", update_baseline),
        ("--record", record),
    ):
        if given:
            raise UsageError(f"{option} does not apply to conformance load: gates decide its verdict")
    cluster = Cluster(
        processes=processes,
        master=master,
        expect_workers=expect_workers,
        worker=worker,
        master_host=master_host,
        master_bind_host=master_bind_host,
        master_port=master_port,
    )
    load_check_modules(checks_modules)  # a worker judges with them too
    if worker:
        click.echo(f"conformance load: Locust worker of {master_host}:{master_port}", err=True)
        raise SystemExit(run_worker(token_from_environment(token_env), cluster))
    if embedded:
        if (
            cloudflare
            or click.get_current_context().get_parameter_source("base_url")
            is click.core.ParameterSource.COMMANDLINE
        ):
            raise UsageError(
                "--embedded loads the reference server here: it takes neither --base-url nor --cloudflare"
            )
        base_url = None
    named = resolve_target(base_url, cloudflare, account_id, token_env, model)
    if master and named.embedded:
        raise UsageError(
            "--master needs --base-url: the embedded server listens on this machine's loopback only; "
            "--processes N runs workers here"
        )
    gates = Gates(
        max_failure_ratio=max_failure_ratio,
        p95_ttft_s=None if p95_ttft is None else parse_duration(p95_ttft, "--p95-ttft"),
        min_tokens_per_second=min_tokens_per_second,
    )
    seconds = parse_duration(run_time)
    weights = parse_mix(mix)
    config = RunConfig.for_target(
        named,
        seed=seed,
        checks=checks,
        exclude_checks=exclude_checks,
        strict=strict,
        cases=(),
        schema_version=schema_version,
        no_cache=no_cache,
    )  # usage errors first
    selected = config.selected_checks()
    drawn = valid_cases(DEFAULT_VALID_DRAWS, config.run_seed, config.schema, cache=not config.no_cache)
    bodies = tuple(case.body for case in drawn)
    pools = Pools.build(bodies, config.schema)
    pools.check_mix(weights)

    def settings_for(target: Target) -> LoadSettings:
        return LoadSettings(
            base_url=target.base_url,
            account_id=target.account_id,
            model=target.model,
            seed=config.run_seed,
            users=users,
            spawn_rate=spawn_rate,
            run_time_s=seconds,
            mix=weights,
            checks=tuple(c.id for c in selected if not c.is_scenario),
            strict=strict,
            gates=gates,
            has_token=target.token is not None,
            embedded=target.embedded,
            series_interval_s=series_interval(seconds),
            valid_bodies=bodies,
            schema_version=config.schema.name,
        )

    settings_for(named)
    with open_target(named, schema_version) as target:
        settings = settings_for(target)
        where = f"{cluster.workers} workers" if cluster.workers else "one process"
        click.echo(
            f"conformance load: {users} users for {seconds:g} s against {target.base_url} ({where}), "
            f"mix {mix}, seed {settings.seed} (rerun with --seed {settings.seed})",
            err=True,
        )
        reason = probe(target)
        folder = report_folder(report_dir)
        if reason is None:
            outcome = run_processes(settings, target.token, folder, cluster)
        else:
            outcome = {"figures": {}, "workers": {}, "duration_s": 0.0}
        shape = {"processes": processes, "master": master, "expect_workers": expect_workers}
        result = load_result(
            settings,
            outcome,
            selected,
            pools,
            target=target.to_json(),
            token=target.token,
            cluster=shape,
            reason=reason,
        )
    written = write_reports(result, folder)
    written += [p for p in (folder / "locust_stats.csv", folder / "locust_failures.csv") if p.is_file()]
    _print_outcome(result, written)
    raise SystemExit(result.exit_code)


def _print_outcome(result: RunResult, written: list[Path]) -> None:
    from conformance.cli._display import printable

    result = result.redacted()  # the reason and messages may quote what the target sent
    load = result.load or {}
    verdict = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[result.verdict]
    tokens = load.get("tokens", {})
    click.echo(
        f"{verdict}: {load.get('exchanges', 0)} exchanges judged in {result.duration_s:g} s "
        f"({load.get('requests_per_second') or 0} per second, {tokens.get('total', 0)} tokens), "
        f"{load.get('refusals', {}).get('count', 0)} refusals, "
        f"{load.get('transport_errors', 0)} without response; "
        f"seed {result.seed}; exit {result.exit_code}"
    )
    if result.reason:
        click.echo(printable(f"Reason: {result.reason}"))
    for gate in load.get("gates", []):
        if not gate["passed"]:
            click.echo(printable(f"  gate crossed: {gate['name']}: {gate['value']} (limit: {gate['limit']})"))
    for check in result.checks:
        if check.failures:
            first = check.failures[0].message.split("\n")[0]
            click.echo(printable(f"  failed {check.check.id} ({check.check.severity}), e.g.: {first}"))
    click.echo(f"Reports: {', '.join(str(p) for p in written)}")
