"""The ``pytest11`` entry point of workers-ai-conformance: options, ini keys, markers and fixtures.

Every pytest run in an environment where the toolkit is installed imports
this module, so it imports pytest and the option table (`conformance.options`,
the standard library only) alone: ``conformance`` and this package load
their names lazily. The plugin itself (`conformance.pytest_plugin.session`:
the runner, the checks, httpx, Hypothesis) loads only when a conformance
option or ini key is set, when ``conformance.suite`` is collected, or when a
test asks for one of the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.options import taken_by

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


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Workers AI conformance (workers-ai-conformance)")
    for option in taken_by("pytest"):
        help_text = option.help_for_pytest()
        if option.kind == "flag":
            group.addoption(option.pytest_flag, action="store_true", default=None, help=help_text)
        elif option.repeatable:
            group.addoption(option.pytest_flag, action="append", default=None, metavar="NAME", help=help_text)
        else:
            group.addoption(option.pytest_flag, default=None, metavar="VALUE", help=help_text)
        # Read as text and parsed by the plugin, so a bad ini value is an error naming the key.
        parser.addini(option.ini_key, help_text, default=None)


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
    return any(
        config.getoption(option.pytest_flag) is not None or config.getini(option.ini_key)
        for option in taken_by("pytest")
    )


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
    """The target the options name: a `conformance.transport.Target` (base URL, account, model, token)."""
    return plugin(request.config).target()


@pytest.fixture(scope="session")
def conformance_client(request: pytest.FixtureRequest, conformance_target: Any) -> Iterator[Any]:
    """Sends a body to the target, returns the `conformance.Exchange`: ``conformance_client.send(body)``."""
    from conformance.pytest_plugin.target import SyncClient

    with SyncClient(conformance_target, plugin(request.config).settings) as client:
        yield client
