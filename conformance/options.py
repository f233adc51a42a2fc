"""Every option two front ends share, declared once as data: CLI flags, plugin options, ini keys.

``conformance.cli._options.options_for`` turns an entry into a click option,
the pytest entry point (`conformance.pytest_plugin.entry`) into a
``--conformance-*`` option and a ``conformance_*`` ini key. This module
imports the standard library only, so that every pytest run can read it
without loading the toolkit; the defaults it spells out (the model, the
schema version, the timeouts) are the library's, and
``tests/test_options.py`` keeps them equal.

    >>> OPTIONS["profile"].flag, OPTIONS["profile"].ini_key
    ('--profile', 'conformance_profile')
    >>> [option.name for option in taken_by("openapi")]
    ['model', 'schema_version']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["text", "integer", "number", "flag", "file", "folder"]

FRONT_ENDS = (
    "run",
    "fuzz",
    "replay",
    "load",
    "diff",
    "worker",
    "cases",
    "openapi",
    "serve",
    "checks",
    "pytest",
)
"""The commands (and the pytest plugin) that take options from this table."""

GROUPS = ("target", "sending", "verdict", "schema")
"""Options come in groups a command takes together; within one, in the table's order."""

_SAME: object = object()


@dataclass(frozen=True)
class Variant:
    """How one front end's option differs from the table's: another help text or default."""

    help: str | None = None
    default: object = _SAME


@dataclass(frozen=True)
class Option:
    """One option as every front end that takes it declares it.

    ``name`` is the option without dashes: ``--base-url`` on the command
    line, ``--conformance-base-url`` and the ini key ``conformance_base_url``
    in pytest. ``dest`` names the command's parameter where it is not
    ``name`` (``--check`` arrives as ``checks``).
    """

    name: str
    group: str
    front_ends: tuple[str, ...]
    help: str
    kind: Kind = "text"
    default: object = None
    env: str | None = None
    metavar: str | None = None
    repeatable: bool = False
    dest: str | None = None
    pytest_help: str | None = None
    """The plugin's help where it says more than ``help`` (pytest shows no defaults of its own)."""
    variants: Mapping[str, Variant] = field(default_factory=dict)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def pytest_flag(self) -> str:
        return "--conformance-" + self.name.replace("_", "-")

    @property
    def ini_key(self) -> str:
        return "conformance_" + self.name

    @property
    def parameter(self) -> str:
        return self.dest or self.name

    def for_front_end(self, front_end: str) -> Option:
        """This option as ``front_end`` takes it, its variant applied."""
        if front_end not in self.front_ends:
            raise KeyError(f"{front_end} does not take {self.flag}")
        variant = self.variants.get(front_end)
        if variant is None:
            return self
        default = self.default if variant.default is _SAME else variant.default
        return replace(self, help=variant.help or self.help, default=default, variants={})

    def help_for_pytest(self) -> str:
        """The plugin's help text: what the option does, its default and its environment variable."""
        text = self.pytest_help
        if text is None:
            shown = self.default is not None and self.kind != "flag"
            text = f"{self.help.rstrip('.')} [default: {self.default}]." if shown else self.help
        return text + (f" [env: {self.env}]" if self.env else "")


_CLI = ("run", "fuzz", "load", "diff")
"""The commands that send the catalogue to a target."""
_JUDGING = (*_CLI, "replay")
_TOKEN_HELP = (
    "Environment variable holding the API token{} "
    "[default: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_AUTH_TOKEN]."
)
_STREAM_SILENCE = (
    "The longest a stream may go without a byte once it has started; longer is a stalled stream. "
    "A model sends a token every second or faster on a CPU, every few tens of milliseconds on a GPU."
)

_TABLE = (
    # The target
    Option(
        "base_url",
        "target",
        (*_CLI, "worker", "pytest"),
        "API base, e.g. http://127.0.0.1:8787/client/v4.",
        env="CLOUDFLARE_BASE_URL",
        pytest_help="API base of the target, e.g. http://127.0.0.1:8787/client/v4.",
        variants={
            "worker": Variant("API base the binding forwards to, e.g. http://127.0.0.1:8787/client/v4.")
        },
    ),
    Option(
        "cloudflare",
        "target",
        _CLI,
        "Target the real service (https://api.cloudflare.com/client/v4).",
        kind="flag",
    ),
    Option(
        "account_id",
        "target",
        (*_CLI, "worker", "pytest"),
        "Account id in the run path.",
        env="CLOUDFLARE_ACCOUNT_ID",
    ),
    Option(
        "model",
        "target",
        (*_CLI, "openapi", "serve", "pytest"),
        "Model name in the run path.",
        default="@hf/thebloke/llama-2-13b-chat-awq",
        variants={
            "openapi": Variant("The model path parameter's default."),
            "serve": Variant("Model name the route serves."),
        },
    ),
    Option(
        "token_env",
        "target",
        (*_CLI, "worker", "pytest"),
        _TOKEN_HELP.format(""),
        variants={"worker": Variant(_TOKEN_HELP.format(" the binding sends"))},
    ),
    Option(
        "embedded",
        "target",
        ("load", "worker", "pytest"),
        "Start the embedded reference server for the session and test it.",
        kind="flag",
        variants={
            "load": Variant("Load the embedded reference server (the default without --base-url)."),
            "worker": Variant(
                "Forward to the embedded reference server (also what happens without --base-url)."
            ),
        },
    ),
    # How requests are sent
    Option(
        "concurrency",
        "sending",
        ("run", "pytest"),
        "Requests in flight at once.",
        kind="integer",
        default=4,
    ),
    Option(
        "timeout",
        "sending",
        ("run",),
        "Read timeout: how long to wait for the response and for each piece of it.",
        kind="number",
        default=90.0,
        metavar="SECONDS",
    ),
    Option(
        "connect_timeout",
        "sending",
        ("run",),
        "How long to wait for a connection.",
        kind="number",
        default=10.0,
        metavar="SECONDS",
    ),
    Option(
        "response_timeout",
        "sending",
        ("run",),
        "The most one response may take, head to last byte, streamed or not.",
        kind="number",
        default=300.0,
        metavar="SECONDS",
    ),
    Option(
        "idle_timeout",
        "sending",
        ("run", "fuzz", "pytest"),
        _STREAM_SILENCE,
        kind="number",
        default=60.0,
        metavar="SECONDS",
        pytest_help="Seconds a stream may go without a byte once it has started; longer is a stalled stream "
        "(a model sends a token every second or faster) [default: 60].",
    ),
    Option(
        "profile",
        "sending",
        ("run", "diff", "pytest"),
        "One of smoke, standard, full.",
        default="standard",
        variants={
            "diff": Variant("One of smoke, standard, full [default: standard, or the capture's].", None)
        },
    ),
    # What is judged and what is written
    Option(
        "seed",
        "verdict",
        (*_CLI, "cases", "pytest"),
        "Makes the run reproducible; drawn and printed when omitted.",
        kind="integer",
        pytest_help="Makes the suite reproducible; drawn and shown in the header when omitted.",
        variants={"cases": Variant("Seed for drawing valid cases.", 0)},
    ),
    Option(
        "no_cache",
        "verdict",
        ("run", "load", "diff", "cases", "pytest"),
        "Draw the valid cases afresh: neither read nor write the catalogue cache.",
        kind="flag",
    ),
    Option(
        "check",
        "verdict",
        (*_JUDGING, "pytest"),
        "Run only this check (repeatable).",
        repeatable=True,
        dest="checks",
        pytest_help="Judge with only this check (repeatable).",
        variants={"replay": Variant("Judge only with this check (repeatable).")},
    ),
    Option(
        "exclude_check",
        "verdict",
        (*_JUDGING, "pytest"),
        "Do not run this check (repeatable).",
        repeatable=True,
        dest="exclude_checks",
        pytest_help="Do not judge with this check (repeatable).",
        variants={"replay": Variant("Do not judge with this check (repeatable).")},
    ),
    Option(
        "checks_module",
        "verdict",
        (*_JUDGING, "checks", "pytest"),
        "Import your own @conformance.check functions first: a dotted module name importable "
        "from the current directory, or the path of a .py file (repeatable).",
        metavar="MODULE",
        repeatable=True,
        dest="checks_modules",
        pytest_help="Import a module of your own checks, by name or path (repeatable).",
    ),
    Option(
        "strict",
        "verdict",
        (*_JUDGING, "pytest"),
        "A failing 'should' check fails the run too.",
        kind="flag",
        pytest_help="A failing 'should' check fails its item too, instead of warning.",
    ),
    Option(
        "baseline",
        "verdict",
        (*_JUDGING, "pytest"),
        "Accepted failures (JSON).",
        kind="file",
        pytest_help="Accepted failures (a baseline file of conformance run): strict xfails.",
    ),
    Option(
        "update_baseline",
        "verdict",
        _JUDGING,
        "Write this run's failures to --baseline.",
        kind="flag",
        variants={"replay": Variant("Write the failures found to --baseline.")},
    ),
    Option("record", "verdict", _CLI, "Record every exchange (JSONL).", kind="file"),
    Option(
        "report_dir",
        "verdict",
        (*_JUDGING, "pytest"),
        "Where reports go [default: reports/<timestamp>/, with reports/latest pointing at it].",
        kind="folder",
        pytest_help="Write results.json, junit.xml, summary.md and report.html here.",
        variants={"replay": Variant("Where reports go [default: reports/<timestamp>/].")},
    ),
    # The published schema version
    Option(
        "schema_version",
        "schema",
        ("run", "fuzz", "load", "replay", "worker", "cases", "openapi", "serve", "pytest"),
        "The published schema version to follow: page-2024, docs-2025-01 (see `conformance schemas list`).",
        default="page-2024",
        metavar="NAME",
        pytest_help="The published schema version to follow: page-2024 or docs-2025-01 "
        "(conformance schemas list) [default: page-2024].",
        variants={
            "replay": Variant(
                "Judge by this schema version instead of the one the recording names "
                "(see `conformance schemas list`).",
                None,
            )
        },
    ),
)

OPTIONS: Mapping[str, Option] = {option.name: option for option in _TABLE}
"""Every shared option by name, in the table's order."""


def taken_by(front_end: str, *groups: str) -> list[Option]:
    """The options ``front_end`` takes (of ``groups``, when given), each as it takes it, in order."""
    unknown = {front_end} - set(FRONT_ENDS) | set(groups) - set(GROUPS)
    if unknown:
        raise KeyError(f"no front end or group named {', '.join(sorted(unknown))}")
    return [
        option.for_front_end(front_end)
        for option in _TABLE
        if front_end in option.front_ends and (not groups or option.group in groups)
    ]
