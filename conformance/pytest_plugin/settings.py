"""The plugin's options, read from the command line, then the ini file, then the CLI's environment variables.

Every bad value is a `pytest.UsageError` naming the option (or ini key) and
the value, so pytest prints one line and exits 4, never a traceback::

    ERROR: --conformance-profile='fast' is not one of smoke, standard, full
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.checks import load_check_modules
from conformance.contract import DEFAULT_SCHEMA_VERSION, MODEL
from conformance.errors import UsageError
from conformance.runner import RunConfig
from conformance.transport import TransportSettings

DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
FALLBACK_TOKEN_ENV = "CLOUDFLARE_AUTH_TOKEN"
EMBEDDED_ACCOUNT = "embedded"
PLANNING_URL = "http://127.0.0.1/client/v4"
"""Stands in for the embedded server's URL while collecting: a plan never depends on the URL."""

_ENV = {"base_url": "CLOUDFLARE_BASE_URL", "account_id": "CLOUDFLARE_ACCOUNT_ID"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
# The names RunConfig and the check loader use in their messages, mapped to ours.
_CLI_NAMES = {
    "base-url": "base_url",
    "account-id": "account_id",
    "model": "model",
    "profile": "profile",
    "seed": "seed",
    "concurrency": "concurrency",
    "idle-timeout": "idle_timeout",
    "check": "check",
    "exclude-check": "exclude_check",
    "checks-module": "checks_module",
    "baseline": "baseline",
    "schema-version": "schema_version",
}
_CLI_OPTION = re.compile(r"--(" + "|".join(sorted(_CLI_NAMES, key=len, reverse=True)) + r")(?![\w-])")


@dataclass(frozen=True)
class Settings:
    """What the options say, resolved and validated once per pytest process."""

    base_url: str | None
    embedded: bool
    account_id: str
    model: str
    token: str | None = field(repr=False)
    profile: str
    seed: int | None
    checks: tuple[str, ...]
    exclude_checks: tuple[str, ...]
    strict: bool
    baseline: Path | None
    report_dir: Path | None
    concurrency: int
    schema_version: str
    idle_timeout: float
    labels: dict[str, str] = field(repr=False, compare=False)

    def run_config(self, *, base_url: str, token: str | None, seed: int) -> RunConfig:
        """The runner's configuration for this session, with the target and seed it settled on."""
        with usage_errors(self.labels):
            return RunConfig(
                base_url=base_url,
                account_id=self.account_id,
                model=self.model,
                token=token,
                profile=self.profile,
                seed=seed,
                concurrency=self.concurrency,
                transport=TransportSettings(idle_timeout_s=self.idle_timeout),
                checks=self.checks,
                exclude_checks=self.exclude_checks,
                strict=self.strict,
                baseline=self.baseline,
                embedded=self.embedded,
                schema_version=self.schema_version,
            )

    def no_target(self) -> pytest.UsageError:
        return pytest.UsageError(
            "no target to test: pass --conformance-base-url URL (or set conformance_base_url in the ini "
            "file, or CLOUDFLARE_BASE_URL), or --conformance-embedded for the embedded reference server"
        )


@contextmanager
def usage_errors(labels: dict[str, str]) -> Iterator[None]:
    """Turns the runner's `UsageError` into pytest's, with the plugin's option names in the message."""
    try:
        yield
    except UsageError as exc:
        message = _CLI_OPTION.sub(lambda m: labels[_CLI_NAMES[m.group(1)]], str(exc))
        raise pytest.UsageError(message) from None


def resolve(config: pytest.Config) -> Settings:
    """Read and check every option; a bad one raises `pytest.UsageError`."""
    reader = _Reader(config)
    base_url = reader.text("base_url")
    embedded = reader.flag("embedded")
    if embedded and base_url is not None:
        if reader.source["embedded"] == "option" and reader.source["base_url"] == "option":
            raise pytest.UsageError(
                f"--conformance-embedded and --conformance-base-url={base_url!r} contradict each other; "
                "pass one"
            )
        if reader.source["embedded"] == "option":
            base_url = None  # the command line's --conformance-embedded wins over an ini or env URL
        else:
            embedded = False  # the ini's embedded applies only when no base URL is given
    token_env = reader.text("token_env")
    if embedded:
        token = None  # the plugin makes one for the server it starts
    elif token_env is not None:
        token = os.environ.get(token_env) or None
    else:
        token = os.environ.get(DEFAULT_TOKEN_ENV) or os.environ.get(FALLBACK_TOKEN_ENV) or None
    account_id = reader.text("account_id") or (EMBEDDED_ACCOUNT if embedded else None)
    if account_id is None and base_url is not None:
        raise pytest.UsageError(
            "--conformance-account-id is required: pass --conformance-account-id ID, "
            "set conformance_account_id in the ini file, or set CLOUDFLARE_ACCOUNT_ID"
        )
    modules = reader.names("checks_module")
    with usage_errors(reader.labels):
        load_check_modules(modules)  # before the checks are named, so --conformance-check can name theirs
    baseline = reader.text("baseline")
    report_dir = reader.text("report_dir")
    concurrency = reader.integer("concurrency")
    idle_timeout = reader.number("idle_timeout")
    settings = Settings(
        base_url=base_url,
        embedded=embedded,
        account_id=account_id or EMBEDDED_ACCOUNT,
        model=reader.text("model") or MODEL,
        token=token,
        profile=reader.text("profile") or "standard",
        seed=reader.integer("seed"),
        checks=reader.names("check"),
        exclude_checks=reader.names("exclude_check"),
        strict=reader.flag("strict"),
        baseline=Path(baseline) if baseline else None,
        report_dir=Path(report_dir) if report_dir else None,
        concurrency=4 if concurrency is None else concurrency,
        schema_version=reader.text("schema_version") or DEFAULT_SCHEMA_VERSION,
        idle_timeout=TransportSettings.idle_timeout_s if idle_timeout is None else idle_timeout,
        labels=reader.labels,
    )
    # Every remaining value (profile, seed range, check names, baseline file, schema version)
    # is checked now, not mid-run.
    settings.run_config(base_url=base_url or PLANNING_URL, token=token, seed=settings.seed or 0)
    return settings


class _Reader:
    """One option's value from the first place that sets it, remembering where, for messages."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.source: dict[str, str] = {}
        self.labels = {name: _flag(name) for name in _CLI_NAMES.values()}

    def _raw(self, name: str) -> str | list[str] | bool | None:
        value = self.config.getoption(_flag(name))
        if value is not None:
            self.source[name] = "option"
            return value  # type: ignore[no-any-return]
        ini = self.config.getini(f"conformance_{name}")
        if ini:
            self.source[name] = "ini"
            self.labels[name] = f"conformance_{name} (ini)"
            return str(ini).strip()
        env = _ENV.get(name)
        if env is not None and os.environ.get(env):
            self.source[name] = "env"
            self.labels[name] = f"${env}"
            return os.environ[env]
        return None

    def text(self, name: str) -> str | None:
        value = self._raw(name)
        if isinstance(value, list):
            value = value[-1]
        return str(value) if value is not None else None

    def flag(self, name: str) -> bool:
        value = self._raw(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text not in _TRUE + _FALSE:
            raise pytest.UsageError(f"{self._label(name)}={value!r} is not true or false")
        return text in _TRUE

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise pytest.UsageError(f"{self._label(name)}={value!r} is not an integer") from None

    def number(self, name: str) -> float | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise pytest.UsageError(f"{self._label(name)}={value!r} is not a number of seconds") from None

    def names(self, name: str) -> tuple[str, ...]:
        value = self._raw(name)
        if value is None:
            return ()
        items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value))
        return tuple(item for item in items if item)

    def _label(self, name: str) -> str:
        return self.labels.get(name) or (
            f"conformance_{name} (ini)" if self.source.get(name) == "ini" else _flag(name)
        )


def _flag(name: str) -> str:
    return "--conformance-" + name.replace("_", "-")
