"""The target options `conformance run` and `conformance fuzz` share, and turning them into a target.

Base URL (or ``--cloudflare``, or the embedded reference server when neither
is given), account id, model and the token's environment variable read the
same under both commands. `conformance diff` resolves its reference the same
way, its options named ``--reference-...``.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

import click

from conformance.contract import CLOUDFLARE_BASE_URL, MODEL
from conformance.errors import UsageError

DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
FALLBACK_TOKEN_ENV = "CLOUDFLARE_AUTH_TOKEN"
EMBEDDED_ACCOUNT = "embedded"

F = TypeVar("F", bound=Callable[..., object])


def target_options(function: F) -> F:
    """``--base-url``, ``--cloudflare``, ``--account-id``, ``--model``, ``--token-env``."""
    options = [
        click.option(
            "--base-url",
            envvar="CLOUDFLARE_BASE_URL",
            help="API base, e.g. http://127.0.0.1:8787/client/v4.",
        ),
        click.option("--cloudflare", is_flag=True, help=f"Target the real service ({CLOUDFLARE_BASE_URL})."),
        click.option("--account-id", envvar="CLOUDFLARE_ACCOUNT_ID", help="Account id in the run path."),
        click.option("--model", default=MODEL, show_default=True, help="Model name in the run path."),
        click.option(
            "--token-env",
            default=None,
            help=f"Environment variable holding the API token [default: {DEFAULT_TOKEN_ENV}, "
            f"then {FALLBACK_TOKEN_ENV}].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@dataclass
class Target:
    """Where requests go: a base URL to open (the embedded server starts on entering it)."""

    opened: AbstractContextManager[str]
    base_url: str | None  # None for the embedded server, whose URL is known once it runs
    account_id: str | None
    token: str | None = field(repr=False)
    embedded: bool


def resolve_target(
    base_url: str | None,
    cloudflare: bool,
    account_id: str | None,
    token_env: str | None,
    *,
    prefix: str = "",
    schema_version: str | None = None,
) -> Target:
    """The target the options name; usage errors for contradictions and a missing account id.

    ``prefix`` names the options in messages: ``"reference-"`` for the
    reference of `conformance diff` (``--reference-account-id``). The embedded
    server, when no base URL is given, answers by ``schema_version``.
    """
    source = click.get_current_context().get_parameter_source("base_url")
    if cloudflare and base_url and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"--cloudflare and --base-url={base_url!r} contradict each other; pass one")
    if cloudflare:
        base_url = CLOUDFLARE_BASE_URL
    token = _token(token_env)
    if base_url is None:
        token = secrets.token_urlsafe(24)
        opened = _embedded(token, schema_version)
        return Target(opened, None, account_id or EMBEDDED_ACCOUNT, token, embedded=True)
    if not account_id:
        option = f"--{prefix}account-id"
        also = "" if prefix else " or set CLOUDFLARE_ACCOUNT_ID"
        raise UsageError(f"{option} is required: pass {option} ID{also}")
    if token_env is not None and token is None:
        click.echo(f"warning: ${token_env} is not set; running without a token", err=True)
    return Target(nullcontext(base_url), base_url, account_id, token, embedded=False)


def _token(token_env: str | None) -> str | None:
    if token_env is not None:
        return os.environ.get(token_env) or None
    return os.environ.get(DEFAULT_TOKEN_ENV) or os.environ.get(FALLBACK_TOKEN_ENV) or None


@contextmanager
def _embedded(token: str, schema_version: str | None) -> Iterator[str]:
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
    with running_reference_server(token=token, schema=schema_version) as base_url:
        yield base_url
