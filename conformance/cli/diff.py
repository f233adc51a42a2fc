"""``conformance diff``: an implementation side by side with a reference, disagreements beyond its noise.

conformance diff --base-url http://127.0.0.1:8787/client/v4 --account-id X --reference-embedded
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for
from conformance.errors import UsageError

if TYPE_CHECKING:
    from conformance.diff import Reference
    from conformance.runner import RunConfig, RunResult
    from conformance.runner.events import Event
    from conformance.transport import Target

# The runner's DIFFERENCE_CLASSES, spelled out so that building this command (for
# --help) loads no runner; tests/cli/test_imports.py keeps them equal.
DIFFERENCE_CLASSES = ("status", "error_code", "branch", "fields", "framing", "usage", "determinism", "text")


@click.command("diff")
@options_for("diff", "target")
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
@options_for("diff", "sending", "verdict")
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
    no_cache: bool,
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
    from conformance.checks import load_check_modules
    from conformance.cli._artifacts import write_reports
    from conformance.cli._display import follow, print_outcome, report_folder
    from conformance.cli._storage import keep_hypothesis_out_of_cwd
    from conformance.cli._target import open_target, resolve_target
    from conformance.diff import Capture, DiffSettings, LiveReference, diff
    from conformance.runner import RunConfig
    from conformance.runner.redaction import redact_secrets

    keep_hypothesis_out_of_cwd()
    load_check_modules(checks_modules)
    settings = DiffSettings(allow=allowed, strict_text=strict_text)
    references = [
        option
        for option, given in (
            ("--reference-url", reference_url),
            ("--reference-capture", reference_capture),
            ("--reference-embedded", reference_embedded),
        )
        if given
    ]
    if len(references) != 1:
        said = f"{' and '.join(references)} contradict each other" if references else "no reference given"
        raise UsageError(
            f"{said}: pass one of --reference-url URL, --reference-capture FILE or --reference-embedded"
        )
    capture = Capture.load(reference_capture) if reference_capture is not None else None
    if capture is not None:
        seed, profile = capture.settle(seed, profile)
    named = resolve_target(base_url, cloudflare, account_id, token_env, model)
    other = None
    if capture is None:
        other = resolve_target(
            reference_url,
            False,
            reference_account_id or account_id,
            reference_token_env,
            model,
            prefix="reference-",
        )

    def config_for(target: Target) -> RunConfig:
        return RunConfig.for_target(
            target,
            profile=profile or "standard",
            seed=seed,
            checks=checks,
            exclude_checks=exclude_checks,
            strict=strict,
            baseline=baseline,
            update_baseline=update_baseline,
            record=record,
            no_cache=no_cache,
        )

    def reference_for(target: Target | None) -> Reference:
        if capture is not None:
            return capture
        assert target is not None
        return LiveReference(target)

    # Usage errors before any server starts or folder is made.
    config_for(named)
    reference_for(other)
    opened: AbstractContextManager[Target | None] = open_target(other) if other is not None else nullcontext()
    with open_target(named) as target, opened as other_target:
        config = config_for(target)
        reference = reference_for(other_target)
        secrets = tuple(t.token for t in (target, other_target) if t is not None and t.token)

        def show(label: str, events: Iterable[Event]) -> RunResult:
            click.echo(f"conformance diff: asking the {label}", err=True)
            return follow(events, lambda text: redact_secrets(text, secrets), failures=label == "target")

        if isinstance(reference, Capture):
            against = f"the capture {reference.path}"
        else:
            embedded = " (embedded reference server)" if reference.target.embedded else ""
            against = reference.target.base_url + embedded
        click.echo(
            f"conformance diff: {config.profile} profile, seed {config.run_seed}: {target.base_url} "
            f"against {against}",
            err=True,
        )
        result = diff(config, reference, settings, follow=show)
    folder = report_folder(report_dir)
    written = write_reports(result, folder)
    if record is not None:
        written.append(record)
    print_outcome(result, folder, written)
    raise SystemExit(result.exit_code)
