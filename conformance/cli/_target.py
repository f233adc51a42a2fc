"""The target the options name, and opening it: the embedded reference server starts on entering.

Base URL (or ``--cloudflare``, or the embedded reference server when neither
is given), account id, model and the token's environment variable read the
same under every command. `conformance diff` resolves its reference the same
way, its options named ``--reference-...``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import click

from conformance.contract import CLOUDFLARE_BASE_URL, MODEL, SchemaVersion
from conformance.errors import UsageError
from conformance.transport import Target, token_from_environment


def resolve_target(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    token_env: str | None,
    model: str = MODEL,
    *,
    prefix: str = "",
) -> Target:
    """The target the options name; usage errors for contradictions and a missing account id.

    Without a base URL it is the embedded reference server, not started yet
    (`open_target` starts it). ``prefix`` names the options in messages:
    ``"reference-"`` for the reference of `conformance diff` (``--reference-account-id``).
    """
    source = click.get_current_context().get_parameter_source("base_url")
    if cloudflare and base_url and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"--cloudflare and --base-url={base_url!r} contradict each other; pass one")
    if cloudflare:
        base_url = CLOUDFLARE_BASE_URL
    if base_url is None:
        return Target.embedded_server(account_id, model)
    if not account_id:
        option = f"--{prefix}account-id"
        also = "" if prefix else " or set CLOUDFLARE_ACCOUNT_ID"
        raise UsageError(f"{option} is required: pass {option} ID{also}")
    token = token_from_environment(token_env)
    if token_env is not None and token is None:
        click.echo(f"warning: ${token_env} is not set; running without a token", err=True)
    return Target(base_url, account_id, model, token)


def open_target(target: Target, schema: SchemaVersion | str | None = None) -> AbstractContextManager[Target]:
    """``target`` ready for requests: the embedded server started (answering by ``schema``) and stopped
    on leaving; any other target as it is."""
    return _embedded(target, schema) if target.embedded else nullcontext(target)


@contextmanager
def _embedded(target: Target, schema: SchemaVersion | str | None) -> Iterator[Target]:
    try:
        # Imported lazily: the reference server pulls in Starlette and a model engine.
        serving_target = importlib.import_module("conformance.server.embedded").serving_target
    except (ImportError, AttributeError) as exc:
        raise UsageError(
            f"no --base-url given and the embedded reference server is not available ({exc}); "
            "pass --base-url URL (or --cloudflare) to say which implementation to test"
        ) from None
    with serving_target(target, schema) as served:
        yield served
