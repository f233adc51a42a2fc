"""``conformance serve``: run the reference server in the foreground."""

from __future__ import annotations

import click

from conformance.cli._engines import ENGINES, EngineOptions
from conformance.cli._options import options_for
from conformance.errors import CheckpointError, TargetError, UsageError
from conformance.server.engines.devices import DEVICES, parse_device

TOKEN_ENV = "CONFORMANCE_SERVER_TOKEN"

# The app's DEFAULT_MAX_BODY_BYTES, spelled out so that building this command (for --help)
# loads no Starlette; tests/cli/test_imports.py keeps them equal.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    help=f"Require 'Authorization: Bearer TOKEN' on every request (also ${TOKEN_ENV}).",
)
@click.option(
    "--model-path",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="A Hugging Face causal-LM checkpoint directory, unquantized or AWQ (GEMM, 4-bit). "
    "Default: the tiny embedded model.",
)
@click.option(
    "--device",
    default="auto",
    show_default=True,
    callback=lambda _ctx, _param, value: _device(value),
    help=f"Where the model runs: {DEVICES} (auto: CUDA when torch sees a GPU).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="transformers",
    show_default=True,
    help="What generates: transformers in-process, vLLM in-process, or an OpenAI-compatible upstream.",
)
@click.option(
    "--upstream-url",
    default=None,
    help="--engine=openai: the upstream's OpenAI base URL, e.g. http://127.0.0.1:8000/v1.",
)
@click.option(
    "--upstream-model",
    default=None,
    help="--engine=openai: the upstream's model name (default: its one model).",
)
@click.option(
    "--upstream-api-key-env",
    default=None,
    metavar="VAR",
    help="--engine=openai: the environment variable holding the upstream's API key.",
)
@options_for("serve", "target")
@click.option("--account-id", default=None, help="Serve only this account id (others get 404, 7003).")
@click.option(
    "--max-body-bytes",
    default=DEFAULT_MAX_BODY_BYTES,
    show_default=True,
    type=click.IntRange(1),
    help="Larger bodies get 413, code 3006.",
)
@options_for("serve", "schema")
def serve(
    host: str,
    port: int,
    token: str | None,
    model_path: str | None,
    device: str,
    engine: str,
    upstream_url: str | None,
    upstream_model: str | None,
    upstream_api_key_env: str | None,
    model: str,
    account_id: str | None,
    max_body_bytes: int,
    schema_version: str,
) -> None:
    """Serve the Workers AI run route over a real model (the reference implementation).

    \b
    conformance serve --port 8787 --token secret
    curl http://127.0.0.1:8787/client/v4/accounts/demo/ai/run/@hf/thebloke/llama-2-13b-chat-awq \\
      -H "Authorization: Bearer secret" -d '{"prompt": "Hello"}'
    conformance serve --engine vllm --model-path /models/Llama-2-13B-chat-AWQ
    conformance serve --engine openai --upstream-url http://127.0.0.1:8000/v1
    conformance serve --schema-version docs-2025-01   # refuses `image`, as a server built on it would
    """
    import uvicorn

    from conformance.contract import versions
    from conformance.server.app import create_app
    from conformance.server.embedded import listening_socket

    version = versions.schema_version(schema_version)  # an unknown name is refused before anything loads
    engine_options = EngineOptions(
        engine, model_path, upstream_url, upstream_model, upstream_api_key_env, device=device
    )
    # Before the socket and before torch: a wrong directory or combination is refused in milliseconds.
    engine_options.check()
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise click.UsageError(
            f"--host={host!r} --port={port}: cannot listen there ({exc.strerror})."
        ) from exc
    click.echo(f"Loading {engine_options.describe()} ...", err=True)
    try:
        served = engine_options.build()
    except CheckpointError as exc:
        sock.close()
        raise UsageError(f"--model-path={model_path!r}: {exc}") from exc
    except UsageError as exc:
        sock.close()
        raise UsageError(f"--device={device!r}: {exc}") from exc
    except TargetError as exc:
        sock.close()
        raise click.ClickException(str(exc)) from exc
    if token:
        click.echo("Auth: requests must carry 'Authorization: Bearer <token>'.", err=True)
    else:
        click.echo(
            f"Auth: OFF. No token was given (--token or ${TOKEN_ENV}); every request is accepted.", err=True
        )
    click.echo(f"Engine: {served.name}", err=True)
    app = create_app(
        served,
        token=token or None,
        max_body_bytes=max_body_bytes,
        model=model,
        account_id=account_id,
        schema=version,
    )
    api_base = f"http://{host}:{sock.getsockname()[1]}/client/v4"
    click.echo(f"Serving {model} at {api_base}, schema version {version.name}", err=True)
    click.echo(
        f"OpenAI-compatible base URL: {api_base}/accounts/{account_id or 'ACCOUNT_ID'}/ai/v1", err=True
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=5))
    with sock:
        server.run(sockets=[sock])


def _device(value: str) -> str:
    try:
        return parse_device(value)
    except UsageError as exc:
        raise click.BadParameter(f"{value!r} is {exc}") from exc
