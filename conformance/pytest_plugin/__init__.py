"""The pytest plugin: the conformance suite inside a user's own test run (docs/pytest.md).

Registered through the ``pytest11`` entry point `conformance.pytest_plugin.entry`,
which this package holds and which imports the rest only when a conformance
option is used, the suite is collected or a fixture is asked for; the names
below load on first use (PEP 562), so importing the entry point loads none of
them. Two styles:

- ``pytest --pyargs conformance.suite --conformance-base-url URL --conformance-account-id ID``
  collects one item per case and per scenario of the run's plan;
- a user's own tests take the ``conformance_target``, ``conformance_client``
  and ``conformance_server`` fixtures and judge exchanges with `assert_conforms`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.pytest_plugin.assertions import assert_conforms, case_of
    from conformance.pytest_plugin.target import SyncClient
    from conformance.pytest_plugin.verdicts import BaselinedFailure, ConformanceFailure, ShouldFailureWarning
    from conformance.transport import Target

__all__ = [
    "BaselinedFailure",
    "ConformanceFailure",
    "ShouldFailureWarning",
    "SyncClient",
    "Target",
    "assert_conforms",
    "case_of",
]

_HOME = {
    "BaselinedFailure": "conformance.pytest_plugin.verdicts",
    "ConformanceFailure": "conformance.pytest_plugin.verdicts",
    "ShouldFailureWarning": "conformance.pytest_plugin.verdicts",
    "SyncClient": "conformance.pytest_plugin.target",
    "Target": "conformance.transport",
    "assert_conforms": "conformance.pytest_plugin.assertions",
    "case_of": "conformance.pytest_plugin.assertions",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance.pytest_plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
