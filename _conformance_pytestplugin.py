"""The ``pytest11`` entry point of workers-ai-conformance: options, ini keys, markers and fixtures.

Every pytest run in an environment where the toolkit is installed imports
this module, so it imports pytest alone. The plugin itself
(`conformance.pytest_plugin`: the runner, the checks, httpx, Hypothesis) loads
only when a conformance option or ini key is set, when ``conformance.suite``
is collected, or when a test asks for one of the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# (name, environment variable the CLI falls back to, kind, help). The name is
# the option without --conformance- and the ini key without conformance_.
OPTIONS: tuple[tuple[str, str | None, str, str], ...] = (
    (
        "base_url",
        "CLOUDFLARE_BASE_URL",
        "text",
        "API base of the target, e.g. http://127.0.0.1:8787/client/v4.",
    ),
    ("account_id", "CLOUDFLARE_ACCOUNT_ID", "text", "Account id in the run path."),
    ("model", None, "text", "Model name in the run path [default: @hf/thebloke/llama-2-13b-chat-awq]."),
    (
        "token_env",
        None,
        "text",
        "Environment variable holding the API token "
        "[default: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_AUTH_TOKEN].",
    ),
    ("embedded", None, "flag", "Start the embedded reference server for the session and test it."),
    ("profile", None, "text", "One of smoke, standard, full [default: standard]."),
    ("seed", None, "text", "Makes the suite reproducible; drawn and shown in the header when omitted."),
    ("check", None, "list", "Judge with only this check (repeatable)."),
    ("exclude_check", None, "list", "Do not judge with this check (repeatable)."),
    ("checks_module", None, "list", "Import a module of your own checks, by name or path (repeatable)."),
    ("strict", None, "flag", "A failing 'should' check fails its item too, instead of warning."),
    ("baseline", None, "text", "Accepted failures (a baseline file of conformance run): strict xfails."),
    ("report_dir", None, "text", "Write results.json, junit.xml, summary.md and report.html here."),
    ("concurrency", None, "text", "Requests in flight at once [default: 4]."),
    (
        "schema_version",
        None,
        "text",
        "The published schema version to follow: page-2024 or docs-2025-01 "
        "(conformance schemas list) [default: page-2024].",
    ),
    (
        "idle_timeout",
        None,
        "text",
        "Seconds a stream may go without a byte once it has started; longer is a stalled stream "
        "(a model sends a token every second or faster) [default: 60].",
    ),
)

MARKERS = (
    "conformance: an item of the conformance suite",
    "valid: a conformance case drawn valid from the input schema",
    "boundary: a conformance case at an edge of the input schema",
    "invalid: a conformance case that breaks the input schema",
    "scenario: a conformance scenario of several requests",
    "stream: a conformance item that asks for Server-Sent Events",
    "nonstream: a conformance item answered with JSON",
    "must: a conformance item a 'must' check can fail",
    "should: a conformance item a 'should' check can fail",
)

_PLUGIN_NAME = "conformance-session"


def option_flag(name: str) -> str:
    return "--conformance-" + name.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Workers AI conformance (workers-ai-conformance)")
    for name, env, kind, help_text in OPTIONS:
        suffix = f" [env: {env}]" if env else ""
        if kind == "flag":
            group.addoption(option_flag(name), action="store_true", default=None, help=help_text)
        elif kind == "list":
            group.addoption(option_flag(name), action="append", default=None, metavar="NAME", help=help_text)
        else:
            group.addoption(option_flag(name), default=None, metavar="VALUE", help=help_text + suffix)
        # Read as text and parsed by the plugin, so a bad ini value is an error naming the key.
        parser.addini(f"conformance_{name}", help_text + suffix, default=None)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if _in_use(config) or _names_the_suite(config):
        found = plugin(config)
        if _names_the_suite(config):
            found.require_target()  # a usage error now (exit 4), not a collection error later


def plugin(config: pytest.Config) -> Any:
    """The session's plugin object, made (and the heavy part imported) on first use."""
    found = config.pluginmanager.get_plugin(_PLUGIN_NAME)
    if found is None:
        from conformance.pytest_plugin.session import ConformancePlugin

        found = ConformancePlugin(config)
        config.pluginmanager.register(found, _PLUGIN_NAME)
    return found


def _in_use(config: pytest.Config) -> bool:
    for name, _env, _kind, _help in OPTIONS:
        if config.getoption(option_flag(name)) is not None or config.getini(f"conformance_{name}"):
            return True
    return False


def _names_the_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        name = arg.split("::", 1)[0].replace("\\", "/")
        if name == "conformance.suite" or name.endswith("conformance/suite.py"):
            return True
    return False


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    if module_path.name == "suite.py" and (module_path.parent / "pytest_plugin").is_dir():
        if module_path.parent.name == "conformance":
            from conformance.pytest_plugin.items import SuiteFile

            session = plugin(parent.config)
            try:
                module_path.relative_to(parent.config.rootpath)
                nodeid = None  # pytest's own: the path from the rootdir
            except ValueError:  # installed elsewhere (site-packages): name it, not ""
                nodeid = "conformance/suite.py"
            return SuiteFile.from_parent(parent, path=module_path, nodeid=nodeid, plugin=session)
    return None


@pytest.fixture(scope="session")
def conformance_server(request: pytest.FixtureRequest) -> str:
    """The embedded reference server's API base (``http://127.0.0.1:PORT/client/v4``), for the session."""
    return str(plugin(request.config).embedded_server().base_url)


@pytest.fixture(scope="session")
def conformance_target(request: pytest.FixtureRequest) -> Any:
    """The target the options name: a `conformance.pytest_plugin.Target` (base URL, account, model, token)."""
    return plugin(request.config).target()


@pytest.fixture(scope="session")
def conformance_client(request: pytest.FixtureRequest, conformance_target: Any) -> Iterator[Any]:
    """Sends a body to the target, returns the `conformance.Exchange`: ``conformance_client.send(body)``."""
    from conformance.pytest_plugin.target import SyncClient

    with SyncClient(conformance_target, plugin(request.config).settings) as client:
        yield client
