"""The implementation under test: where requests go and the token they carry, one value for every front end.

The CLI's commands, the pytest plugin, the schemathesis bridge, the load
test's users, a diff's reference and the Worker binding all name a target
the same way, and the token comes from the environment by one rule::

    >>> target = Target("http://127.0.0.1:8787/client/v4", "X", token=token_from_environment(None))
    >>> target.run_url
    'http://127.0.0.1:8787/client/v4/accounts/X/ai/run/@hf/thebloke/llama-2-13b-chat-awq'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import MODEL, run_path
from conformance.errors import UsageError

DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
FALLBACK_TOKEN_ENV = "CLOUDFLARE_AUTH_TOKEN"
"""Read when `DEFAULT_TOKEN_ENV` is unset or empty (the name Cloudflare's own tools also use)."""

EMBEDDED_ACCOUNT = "embedded"
"""The account id of the embedded reference server when none is given."""

PLANNING_URL = "http://127.0.0.1/client/v4"
"""Stands in for the embedded server's URL until it runs: a plan never depends on the URL."""


@dataclass(frozen=True)
class Target:
    """Where run requests go: ``POST {base_url}/accounts/{account_id}/ai/run/{model}``, with ``token``.

    ``embedded`` marks the embedded reference server; before it runs, its
    target stands at `PLANNING_URL` without a token (`Target.embedded_server`).
    """

    base_url: str
    account_id: str
    model: str = MODEL
    token: str | None = field(default=None, repr=False)
    embedded: bool = False

    @classmethod
    def embedded_server(cls, account_id: str | None = None, model: str = MODEL) -> Target:
        """The embedded reference server's target before it starts: the URL and token come when it runs."""
        return cls(PLANNING_URL, account_id or EMBEDDED_ACCOUNT, model, None, embedded=True)

    @property
    def run_url(self) -> str:
        """The run route's full URL."""
        return self.base_url.rstrip("/") + run_path(self.account_id, self.model)

    @property
    def run_url_path(self) -> str:
        """The run route's path, as a request line names it."""
        return urlsplit(self.base_url).path.rstrip("/") + run_path(self.account_id, self.model)

    def served_at(self, base_url: str, token: str | None) -> Target:
        """This target once it runs at ``base_url`` requiring ``token`` (the embedded server)."""
        return replace(self, base_url=base_url, token=token)

    def to_json(self) -> dict[str, Any]:
        """The target as results.json's ``target`` names it: whether there is a token, never the token."""
        return {
            "base_url": self.base_url,
            "account_id": self.account_id,
            "model": self.model,
            "embedded": self.embedded,
            "auth": "bearer" if self.token else "none",
        }


def token_from_environment(variable: str | None) -> str | None:
    """The API token: from ``variable`` when named, else `DEFAULT_TOKEN_ENV`, then `FALLBACK_TOKEN_ENV`.

    An empty variable counts as unset.
    A token with a character outside ASCII is a `UsageError` naming the variable,
    never the token: no HTTP header can carry it, so every request would fail.
    """
    names = (variable,) if variable is not None else (DEFAULT_TOKEN_ENV, FALLBACK_TOKEN_ENV)
    for name in names:
        token = os.environ.get(name)
        if token:
            if not token.isascii():
                raise UsageError(
                    "holds a token with a character outside ASCII, which no HTTP header can carry: "
                    "check the variable's value",
                    field="token_env",
                    value=name,
                )
            return token
    return None
