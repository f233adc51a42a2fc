"""``conformance worker``: the page's Worker examples (or your Worker) in workerd, against any implementation.

conformance worker --base-url http://127.0.0.1:8787/client/v4 --account-id X
conformance worker --embedded --check
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformance.cli._options import options_for
from conformance.errors import TargetError, UsageError

if TYPE_CHECKING:
    from conformance.contract import SchemaVersion
    from conformance.worker import RunningWorker

DEFAULT_PORT = 8788  # beside `conformance serve` on 8787


@click.command("worker")
@options_for("worker", "target")
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Your Worker (JS or TS, an ES module with `export default { fetch }`), served at every path. "
    "Default: the model page's two Worker examples, at / and /stream.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help=f"Port on 127.0.0.1 (0: a free one) [default: {DEFAULT_PORT}; a free port with --check].",
)
@click.option(
    "--check",
    is_flag=True,
    help="Fetch / and /stream once, judge what the binding returned, stop; exit 0 (pass) or 1 (a failure).",
)
@options_for("worker", "schema")
def worker_command(
    base_url: str | None,
    account_id: str | None,
    embedded: bool,
    token_env: str | None,
    script: Path | None,
    port: int | None,
    check: bool,
    schema_version: str,
) -> None:
    """Run Worker code that calls env.AI.run locally, in workerd, against any implementation.

    The Worker's AI binding forwards run(model, inputs) to
    POST {base-url}/accounts/{account-id}/ai/run/{model} with the token, and
    returns what Cloudflare's binding returns: the result object, the SSE
    stream for stream: true, or a thrown InferenceUpstreamError ("CODE:
    MESSAGE") for an error envelope. See docs/worker.md.

    \b
    conformance serve --port 8787 &
    conformance worker --base-url http://127.0.0.1:8787/client/v4 --account-id X
    curl http://127.0.0.1:8788/ ; curl http://127.0.0.1:8788/stream
    conformance worker --embedded --check
    conformance worker --base-url URL --account-id X --script my-worker.ts
    """
    from conformance.cli._target import open_target, resolve_target
    from conformance.contract import versions
    from conformance.worker import find_toolchain, running_worker

    source = click.get_current_context().get_parameter_source("base_url")
    if embedded and base_url and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"--embedded and --base-url={base_url!r} contradict each other; pass one")
    if check and script is not None:
        raise UsageError(
            f"--check judges the page's two examples at / and /stream, not --script={str(script)!r}; "
            "serve your Worker without --check and call it yourself"
        )
    version = versions.schema_version(schema_version)  # an unknown name is a usage error, before workerd
    named = resolve_target(None if embedded else base_url, False, account_id, token_env)
    toolchain = find_toolchain()  # before the embedded server loads a model: a missing workerd fails fast
    if named.embedded:
        click.echo("Starting the embedded reference server ...", err=True)
    with open_target(named, version) as binding:
        chosen_port = port if port is not None else (0 if check else DEFAULT_PORT)
        with running_worker(
            binding, script=script, port=chosen_port, log_to_terminal=not check, toolchain=toolchain
        ) as running:
            run_url = replace(binding, model="{model}").run_url  # the Worker names the model
            click.echo(f"workerd {toolchain.version}: env.AI.run forwards to POST {run_url}", err=True)
            if not binding.token:
                click.echo("Auth: no token in the environment; the binding sends none.", err=True)
            if running.routes:
                width = max(len(running.url + r.path) for r in running.routes)
                for route in running.routes:
                    click.echo(f"  {running.url + route.path:<{width}}  {route.label}", err=True)
            else:
                click.echo(f"  {running.url}/  {script} (every path)", err=True)
            if check:
                _check(running, version)
            _serve(running.process)


def _check(running: RunningWorker, schema: SchemaVersion) -> None:
    from conformance.worker import judge_examples

    verdicts = judge_examples(running, schema=schema)
    failed = [verdict for verdict in verdicts if not verdict.passed]
    width = max(len(verdict.example.path) for verdict in verdicts)
    for verdict in verdicts:
        mark = "PASS" if verdict.passed else "FAIL"
        click.echo(f"{mark}  {verdict.example.path:<{width}}  {verdict.received}")
        for finding in verdict.findings:
            click.echo(f"      {finding.check}")
            for line in finding.message.splitlines():
                click.echo(f"        {line}")
    if failed:
        click.echo(f"{len(failed)} of {len(verdicts)} examples failed.")
        raise SystemExit(1)
    click.echo(f"All {len(verdicts)} examples passed.")
    raise SystemExit(0)


def _serve(process: subprocess.Popen[bytes]) -> None:
    """Wait for Ctrl+C or SIGTERM, then return, so the caller stops workerd; or fail if workerd exits."""
    click.echo("Serving; press Ctrl+C to stop.", err=True)
    # SIGTERM (a supervisor, `kill`, CI's job control) would end Python at once and
    # leave workerd running: it stops the serving as Ctrl+C does.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
    raise TargetError(f"workerd exited with status {code}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
