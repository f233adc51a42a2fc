"""The pytest plugin: the conformance suite inside a user's own test run (docs/pytest.md).

Registered through the ``pytest11`` entry point by the small top-level module
``_conformance_pytestplugin``, which imports this package only when a
conformance option is used, the suite is collected or a fixture is asked for.
Two styles:

- ``pytest --pyargs conformance.suite --conformance-base-url URL --conformance-account-id ID``
  collects one item per case and per scenario of the run's plan;
- a user's own tests take the ``conformance_target``, ``conformance_client``
  and ``conformance_server`` fixtures and judge exchanges with `assert_conforms`.
"""

from __future__ import annotations

from conformance.pytest_plugin.assertions import assert_conforms, case_of
from conformance.pytest_plugin.target import EmbeddedServer, SyncClient, Target
from conformance.pytest_plugin.verdicts import BaselinedFailure, ConformanceFailure, ShouldFailureWarning

__all__ = [
    "BaselinedFailure",
    "ConformanceFailure",
    "EmbeddedServer",
    "ShouldFailureWarning",
    "SyncClient",
    "Target",
    "assert_conforms",
    "case_of",
]
