"""The conformance suite as pytest items: ``pytest --pyargs conformance.suite --conformance-base-url URL``.

This module holds no tests itself. When pytest collects it, the plugin
(`conformance.pytest_plugin`, installed with the package) turns the run's plan
into one item per case and per scenario; see docs/pytest.md.
"""

from __future__ import annotations
