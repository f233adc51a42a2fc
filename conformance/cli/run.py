"""``conformance run``: send the catalogue to an implementation, judge it, write reports, exit.

conformance run --base-url http://127.0.0.1:8787/client/v4 --account-id X --profile smoke
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import click

from conformance.checks import load_check_modules
from conformance.cli._artifacts import write_reports
from conformance.cli._display import follow, print_outcome, report_folder
from conformance.cli._options import checks_module_option
from conformance.cli._storage import keep_hypothesis_out_of_cwd
from conformance.contract import CLOUDFLARE_BASE_URL, MODEL
from conformance.errors import UsageError
from conformance.runner import PROFILES, RunConfig
from conformance.runner import run as run_suite
from conformance.runner.results import redact_secrets
from conformance.transport import TransportSettings

DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
FALLBACK_TOKEN_ENV = "CLOUDFLARE_AUTH_TOKEN"
EMBEDDED_ACCOUNT = "embedded"


def _token(token_env: str | None) -> str | None:
    if token_env is not None:
        return os.environ.get(token_env) or None
    return os.environ.get(DEFAULT_TOKEN_ENV) or os.environ.get(FALLBACK_TOKEN_ENV) or None


@contextmanager
def _embedded(token: str) -> Iterator[str]:
    try:
        # Imported lazily: the reference server pulls in Starlette and a model engine.
        running_reference_server = importlib.import_module(
            "conformance.server.embedded"
        ).running_reference_server
    except (ImportError, AttributeError) as exc:
        raise UsageError(
            f"no --base-url given and the embedded reference server is not available ({exc}); "
            "pass --base-url URL (or --cloudflare) to say which implementation to test"
        ) from None
    with running_reference_server(token=token) as base_url:
        yield base_url


@click.command("run")
@click.option(
    "--base-url", envvar="CLOUDFLARE_BASE_URL", help="API base, e.g. http://127.0.0.1:8787/client/v4."
)
@click.option("--cloudflare", is_flag=True, help=f"Target the real service ({CLOUDFLARE_BASE_URL}).")
@click.option("--account-id", envvar="CLOUDFLARE_ACCOUNT_ID", help="Account id in the run path.")
@click.option("--model", default=MODEL, show_default=True, help="Model name in the run path.")
@click.option(
    "--token-env",
    default=None,
    help=f"Environment variable holding the API token [default: {DEFAULT_TOKEN_ENV}, "
    f"then {FALLBACK_TOKEN_ENV}].",
)
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
@click.option("--profile", default="standard", show_default=True, help=f"One of {', '.join(PROFILES)}.")
@click.option(
    "--seed", type=int, default=None, help="Makes the run reproducible; drawn and printed when omitted."
)
@click.option("--check", "checks", multiple=True, help="Run only this check (repeatable).")
@click.option("--exclude-check", "exclude_checks", multiple=True, help="Do not run this check (repeatable).")
@checks_module_option
@click.option("--strict", is_flag=True, help="A failing 'should' check fails the run too.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), help="Accepted failures (JSON).")
@click.option("--update-baseline", is_flag=True, help="Write this run's failures to --baseline.")
@click.option(
    "--record", type=click.Path(path_type=Path, dir_okay=False), help="Record every exchange (JSONL)."
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where reports go [default: reports/<timestamp>/, with reports/latest pointing at it].",
)
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
) -> None:
    """Run the conformance suite against an implementation and write its reports.

    Writes results.json, junit.xml, summary.md and report.html into --report-dir.
    Exit codes: 0 no 'must' failure, 1 a 'must' failure (or any failure with
    --strict), 2 a usage error, 3 the target could not be tested at all.
    """
    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)  # before the config, so --check can name their checks
    source = click.get_current_context().get_parameter_source("base_url")
    if cloudflare and base_url and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"--cloudflare and --base-url={base_url!r} contradict each other; pass one")
    if cloudflare:
        base_url = CLOUDFLARE_BASE_URL
    token = _token(token_env)
    embedded = base_url is None
    target: AbstractContextManager[str]
    if embedded:
        token = secrets.token_urlsafe(24)
        account_id = account_id or EMBEDDED_ACCOUNT
        target = _embedded(token)
    else:
        assert base_url is not None
        target = nullcontext(base_url)
        if not account_id:
            raise UsageError("--account-id is required: pass --account-id ID or set CLOUDFLARE_ACCOUNT_ID")
    if token_env is not None and token is None:
        click.echo(f"warning: ${token_env} is not set; running without a token", err=True)

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
                read_timeout_s=timeout, connect_timeout_s=connect_timeout, max_response_s=response_timeout
            ),
            checks=checks,
            exclude_checks=exclude_checks,
            strict=strict,
            baseline=baseline,
            update_baseline=update_baseline,
            record=record,
            embedded=embedded,
        )

    if not embedded:
        config_for(base_url or "")  # usage errors before any server starts or folder is made
    with target as url:
        config = config_for(url)
        click.echo(
            f"conformance: {config.profile} profile against {url}, seed {config.run_seed} "
            f"(rerun with --seed {config.run_seed})",
            err=True,
        )
        result = follow(run_suite(config), lambda text: redact_secrets(text, (token,) if token else ()))
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)
