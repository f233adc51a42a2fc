"""``conformance diff``: an implementation side by side with a reference, disagreements beyond its noise.

conformance diff --base-url http://127.0.0.1:8787/client/v4 --account-id X --reference-embedded
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import click

from conformance.checks import load_check_modules
from conformance.cli._artifacts import write_reports
from conformance.cli._display import follow, print_outcome, report_folder
from conformance.cli._options import verdict_options
from conformance.cli._storage import keep_hypothesis_out_of_cwd
from conformance.cli._target import resolve_target, target_options
from conformance.diff import DIFFERENCE_CLASSES, Capture, DiffSettings, LiveReference, Reference, diff
from conformance.errors import UsageError
from conformance.runner import PROFILES, RunConfig, RunResult
from conformance.runner.events import Event
from conformance.runner.redaction import redact_secrets


@click.command("diff")
@target_options
@click.option(
    "--reference-url", metavar="URL", help="The reference's API base, e.g. a deployment you replace."
)
@click.option(
    "--reference-account-id", metavar="ID", help="Account id in the reference's path [default: --account-id]."
)
@click.option(
    "--reference-token-env",
    metavar="VAR",
    help="Environment variable holding the reference's token [default: CLOUDFLARE_API_TOKEN, "
    "then CLOUDFLARE_AUTH_TOKEN].",
)
@click.option(
    "--reference-capture",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A recording made with `conformance run --record`: its requests go to the target, "
    "its answers are the reference's.",
)
@click.option("--reference-embedded", is_flag=True, help="Compare with the embedded reference server.")
@click.option(
    "--allow",
    "allowed",
    metavar="CLASS",
    multiple=True,
    help=f"Accept differences of this class (repeatable): {', '.join(DIFFERENCE_CLASSES)}.",
)
@click.option(
    "--strict-text", is_flag=True, help="Generated texts that differ fail the run too (beyond the noise)."
)
@click.option(
    "--profile", default=None, help=f"One of {', '.join(PROFILES)} [default: standard, or the capture's]."
)
@verdict_options
def diff_command(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    model: str,
    token_env: str | None,
    reference_url: str | None,
    reference_account_id: str | None,
    reference_token_env: str | None,
    reference_capture: Path | None,
    reference_embedded: bool,
    allowed: tuple[str, ...],
    strict_text: bool,
    profile: str | None,
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
    """Send the same cases to an implementation and to a reference, and report where they disagree.

    The reference is a live server (--reference-url), a recording of one
    (--reference-capture) or the embedded reference server (--reference-embedded).
    A difference counts only where the side asked twice agrees with itself.
    Writes the reports of `conformance run` with a differences section.
    Exit codes: 0 no counted difference and no 'must' failure, 1 either,
    2 a usage error, 3 the target or the reference could not be tested.
    """
    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)
    settings = DiffSettings(allow=allowed, strict_text=strict_text)
    named = [
        option
        for option, given in (
            ("--reference-url", reference_url),
            ("--reference-capture", reference_capture),
            ("--reference-embedded", reference_embedded),
        )
        if given
    ]
    if len(named) != 1:
        said = f"{' and '.join(named)} contradict each other" if named else "no reference given"
        raise UsageError(
            f"{said}: pass one of --reference-url URL, --reference-capture FILE or --reference-embedded"
        )
    capture = Capture.load(reference_capture) if reference_capture is not None else None
    if capture is not None:
        seed, profile = capture.settle(seed, profile)
    target = resolve_target(base_url, cloudflare, account_id, token_env)
    other = None
    if capture is None:
        other = resolve_target(
            reference_url, False, reference_account_id or account_id, reference_token_env, prefix="reference-"
        )
    secrets = tuple(t for t in (target.token, other.token if other else None) if t)

    def config_for(url: str) -> RunConfig:
        return RunConfig(
            base_url=url,
            account_id=target.account_id or "",
            model=model,
            token=target.token,
            profile=profile or "standard",
            seed=seed,
            checks=checks,
            exclude_checks=exclude_checks,
            strict=strict,
            baseline=baseline,
            update_baseline=update_baseline,
            record=record,
            embedded=target.embedded,
        )

    def show(label: str, events: Iterable[Event]) -> RunResult:
        click.echo(f"conformance diff: asking the {label}", err=True)
        return follow(events, lambda text: redact_secrets(text, secrets), failures=label == "target")

    def reference_for(url: str | None) -> Reference:
        if capture is not None:
            return capture
        assert other is not None and url is not None
        return LiveReference(url, other.account_id or "", other.token, other.embedded)

    # Usage errors before any server starts or folder is made.
    if not target.embedded:
        config_for(target.base_url or "")
    if other is not None and not other.embedded:
        reference_for(other.base_url)
    opened: AbstractContextManager[str | None] = other.opened if other is not None else nullcontext(None)
    with target.opened as url, opened as other_url:
        config = config_for(url)
        reference = reference_for(other_url)
        if isinstance(reference, Capture):
            against = f"the capture {reference.path}"
        else:
            against = reference.base_url + (" (embedded reference server)" if reference.embedded else "")
        click.echo(
            f"conformance diff: {config.profile} profile, seed {config.run_seed}: {url} against {against}",
            err=True,
        )
        result = diff(config, reference, settings, follow=show)
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)
