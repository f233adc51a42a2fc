"""The plugin's options, read from the command line, then the ini file, then the CLI's environment variables.

The options are `conformance.options`' table, as the pytest entry point
declares them. Every bad value is a `pytest.UsageError` naming the option
(or ini key, or environment variable) the user set, and the value, so pytest
prints one line and exits 4, never a traceback::

    ERROR: --conformance-profile='fast' is not one of smoke, standard, full
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from conformance.checks import load_check_modules
from conformance.errors import UsageError, cli_flag
from conformance.options import OPTIONS, Option
from conformance.runner import RunConfig
from conformance.transport import Target, TransportSettings, token_from_environment

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """What the options say, resolved and validated once per pytest process."""

    target: Target | None
    """The target the options name (the embedded server's before it runs), or None when they name none."""
    profile: str
    seed: int | None
    no_cache: bool
    checks: tuple[str, ...]
    exclude_checks: tuple[str, ...]
    strict: bool
    baseline: Path | None
    report_dir: Path | None
    concurrency: int
    schema_version: str
    idle_timeout: float
    labels: dict[str, str] = field(repr=False, compare=False)
    """How the user named each option set: ``--conformance-seed``, ``conformance_seed (ini)``, ``$VAR``."""

    @property
    def embedded(self) -> bool:
        return self.target is not None and self.target.embedded

    def require_target(self) -> Target:
        """The target the options name; a usage error that says how to name one when they name none."""
        if self.target is None:
            raise pytest.UsageError(
                "no target to test: pass --conformance-base-url URL (or set conformance_base_url in the ini "
                "file, or CLOUDFLARE_BASE_URL), or --conformance-embedded for the embedded reference server"
            )
        return self.target

    def run_config(self, target: Target, seed: int) -> RunConfig:
        """The runner's configuration for this session, with the target and seed it settled on."""
        with usage_errors(self.labels):
            return RunConfig.for_target(
                target,
                profile=self.profile,
                seed=seed,
                concurrency=self.concurrency,
                transport=TransportSettings(idle_timeout_s=self.idle_timeout),
                checks=self.checks,
                exclude_checks=self.exclude_checks,
                strict=self.strict,
                baseline=self.baseline,
                schema_version=self.schema_version,
                no_cache=self.no_cache,
            )


@contextmanager
def usage_errors(labels: dict[str, str]) -> Iterator[None]:
    """Turns the library's `UsageError` into pytest's, worded with the names the user set."""
    try:
        yield
    except UsageError as exc:
        raise pytest.UsageError(exc.worded(lambda name: _label(labels, name))) from None


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
    account_id = reader.text("account_id") or None
    if account_id is None and base_url is not None:
        raise pytest.UsageError(
            "--conformance-account-id is required: pass --conformance-account-id ID, "
            "set conformance_account_id in the ini file, or set CLOUDFLARE_ACCOUNT_ID"
        )
    model = reader.text("model") or str(OPTIONS["model"].default)
    target = None
    if embedded:
        target = Target.embedded_server(account_id, model)  # the plugin makes the token for the server
    elif base_url is not None:
        assert account_id is not None
        target = Target(base_url, account_id, model, token_from_environment(token_env))
    modules = reader.names("checks_module")
    with usage_errors(reader.labels):
        load_check_modules(modules)  # before the checks are named, so --conformance-check can name theirs
    baseline = reader.text("baseline")
    report_dir = reader.text("report_dir")
    settings = Settings(
        target=target,
        profile=reader.text("profile") or str(OPTIONS["profile"].default),
        seed=reader.integer("seed"),
        no_cache=reader.flag("no_cache"),
        checks=reader.names("check"),
        exclude_checks=reader.names("exclude_check"),
        strict=reader.flag("strict"),
        baseline=Path(baseline) if baseline else None,
        report_dir=Path(report_dir) if report_dir else None,
        concurrency=int(_or_default(reader.integer("concurrency"), OPTIONS["concurrency"])),
        schema_version=reader.text("schema_version") or str(OPTIONS["schema_version"].default),
        idle_timeout=_or_default(reader.number("idle_timeout"), OPTIONS["idle_timeout"]),
        labels=reader.labels,
    )
    # Every remaining value (profile, seed range, check names, baseline file, schema version)
    # is checked now, not mid-run.
    settings.run_config(target or Target.embedded_server(account_id, model), seed=settings.seed or 0)
    return settings


def _or_default(value: int | float | None, option: Option) -> int | float:
    if value is not None:
        return value
    default = option.default
    assert isinstance(default, int | float)
    return default


class _Reader:
    """One option's value from the first place that sets it, remembering where, for messages."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.source: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    def _raw(self, name: str) -> str | list[str] | bool | None:
        option = OPTIONS[name]
        value = self.config.getoption(option.pytest_flag)
        if value is not None:
            self.source[name] = "option"
            return value  # type: ignore[no-any-return]
        ini = self.config.getini(option.ini_key)
        if ini:
            self.source[name] = "ini"
            self.labels[name] = f"{option.ini_key} (ini)"
            return str(ini).strip()
        if option.env is not None and os.environ.get(option.env):
            self.source[name] = "env"
            self.labels[name] = f"${option.env}"
            return os.environ[option.env]
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
            raise pytest.UsageError(f"{_label(self.labels, name)}={value!r} is not true or false")
        return text in _TRUE

    def integer(self, name: str) -> int | None:
        return self._parsed(name, int, "an integer")

    def number(self, name: str) -> float | None:
        return self._parsed(name, float, "a number of seconds")

    def _parsed(self, name: str, parse: Callable[[str], T], what: str) -> T | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError:
            raise pytest.UsageError(f"{_label(self.labels, name)}={value!r} is not {what}") from None

    def names(self, name: str) -> tuple[str, ...]:
        value = self._raw(name)
        if value is None:
            return ()
        items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value))
        return tuple(item for item in items if item)


def _label(labels: dict[str, str], name: str) -> str:
    """How the user named option ``name``: where they set it, else the plugin's flag (the CLI's for an
    option the plugin does not take)."""
    if name in labels:
        return labels[name]
    option = OPTIONS.get(name)
    return option.pytest_flag if option is not None and "pytest" in option.front_ends else cli_flag(name)
