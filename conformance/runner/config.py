"""The run's configuration: one frozen, validated value built by the CLI or by a library user.

Every bad value is a `UsageError` naming the option and the value::

    >>> RunConfig(base_url="http://127.0.0.1:8787/client/v4", account_id="X", profile="fast")
    Traceback (most recent call last):
    ...
    conformance.errors.UsageError: --profile='fast' is not one of smoke, standard, full
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conformance.checks import Check, CheckRegistry, registry
from conformance.contract import DEFAULT_SCHEMA_VERSION, MODEL, SchemaVersion, schema_version
from conformance.errors import UsageError
from conformance.generation import Case
from conformance.transport import Target, TransportSettings

PROFILES = ("smoke", "standard", "full")
SEED_LIMIT = 2**63 - 1
MAX_CONCURRENCY = 256


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs. ``seed`` is drawn when left out, so a run always has one to print.

    The target's fields (``base_url`` to ``token``, and ``embedded``) are
    `target`; `for_target` builds one from a `conformance.transport.Target`.
    ``cases`` replaces the profile's catalogue (tests and library users who
    bring their own cases); ``registry`` replaces the default check registry.
    ``schema_version`` names the published schema version the cases and
    checks follow (``conformance schemas list``). ``no_cache`` draws the
    valid cases afresh, neither reading nor writing the catalogue cache
    (`conformance.generation.cache`).
    """

    base_url: str
    account_id: str
    model: str = MODEL
    token: str | None = field(default=None, repr=False)
    profile: str = "standard"
    seed: int | None = None
    concurrency: int = 4
    checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    strict: bool = False
    baseline: Path | None = None
    update_baseline: bool = False
    record: Path | None = None
    embedded: bool = False
    cases: tuple[Case, ...] | None = field(default=None, repr=False)
    transport: TransportSettings | None = None
    registry: CheckRegistry = field(default=registry, repr=False, compare=False)
    schema_version: str = DEFAULT_SCHEMA_VERSION
    no_cache: bool = False

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise UsageError("is not an http:// or https:// URL", field="base_url", value=self.base_url)
        if not self.account_id or "/" in self.account_id:
            raise UsageError(
                "is not an account id: pass {account_id} or set CLOUDFLARE_ACCOUNT_ID",
                field="account_id",
                value=self.account_id,
                mentions=("account_id",),
            )
        if not self.model:
            raise UsageError("is empty", field="model", value=self.model)
        schema_version(self.schema_version)  # an unknown name is a usage error naming the choices
        if self.profile not in PROFILES:
            raise UsageError(f"is not one of {', '.join(PROFILES)}", field="profile", value=self.profile)
        if self.seed is None:
            object.__setattr__(self, "seed", secrets.randbelow(2**31))
        elif isinstance(self.seed, bool) or not 0 <= self.seed <= SEED_LIMIT:
            raise UsageError(f"is not an integer between 0 and {SEED_LIMIT}", field="seed", value=self.seed)
        if isinstance(self.concurrency, bool) or not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise UsageError(
                f"is not between 1 and {MAX_CONCURRENCY}", field="concurrency", value=self.concurrency
            )
        if self.transport is not None:
            _check_timeouts(self.transport)
        if self.update_baseline and self.baseline is None:
            raise UsageError(
                "needs {baseline} FILE to say which file to write",
                field="update_baseline",
                mentions=("baseline",),
            )
        if self.baseline is not None and not self.update_baseline and not self.baseline.is_file():
            raise UsageError(
                "does not exist; create it with {update_baseline}",
                field="baseline",
                value=str(self.baseline),
                mentions=("update_baseline",),
            )
        if self.token is not None and not self.token.strip():
            object.__setattr__(self, "token", None)
        self.selected_checks()  # unknown check names are usage errors now, not mid-run

    @classmethod
    def for_target(cls, target: Target, **options: Any) -> RunConfig:
        """The configuration of a run against ``target``; ``options`` are the other fields.

        >>> RunConfig.for_target(Target("http://127.0.0.1:8787/client/v4", "X"), profile="smoke").profile
        'smoke'
        """
        return cls(
            base_url=target.base_url,
            account_id=target.account_id,
            model=target.model,
            token=target.token,
            embedded=target.embedded,
            **options,
        )

    @property
    def target(self) -> Target:
        """What this run tests."""
        return Target(self.base_url, self.account_id, self.model, self.token, self.embedded)

    @property
    def schema(self) -> SchemaVersion:
        """The schema version this run follows."""
        return schema_version(self.schema_version)

    @property
    def run_seed(self) -> int:
        """The seed, always set after construction."""
        assert self.seed is not None
        return self.seed

    def selected_checks(self) -> list[Check]:
        """The checks this run judges with, in registration order."""
        return self.registry.select(self.checks, self.exclude_checks)

    def transport_settings(self) -> TransportSettings:
        settings = self.transport or TransportSettings()
        if settings.concurrency != self.concurrency:
            settings = replace(settings, concurrency=self.concurrency)
        return settings


def _check_timeouts(settings: TransportSettings) -> None:
    for option, value in (
        ("timeout", settings.read_timeout_s),
        ("connect_timeout", settings.connect_timeout_s),
        ("response_timeout", settings.max_response_s),
        ("idle_timeout", settings.idle_timeout_s),
    ):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value <= 0:
            raise UsageError("is not a positive number of seconds", field=option, value=value)
