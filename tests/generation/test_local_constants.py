"""A seed draws the same valid cases whatever else the process has imported.

Without `without_local_constants` the first test fails: Hypothesis mixes constants
from every local module in ``sys.modules`` into its draws, and importing the
report, the server and the load front end changed seed 1's cases.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.generation import valid_cases
from conformance.generation._local_constants import without_local_constants

_DRAW_IMPORT_DRAW = """
import json
from conformance.generation import valid_cases
before = [c.id for c in valid_cases(20, seed=1)]
import conformance.checks.scenarios, conformance.cli.load, conformance.report.html, conformance.server.app
after = [c.id for c in valid_cases(20, seed=1)]
print(json.dumps([before, after]))
"""


def test_modules_imported_between_two_draws_change_nothing() -> None:
    child = subprocess.run(
        [sys.executable, "-c", _DRAW_IMPORT_DRAW], capture_output=True, text=True, check=True, timeout=120
    )
    before, after = json.loads(child.stdout)
    assert before == after


def test_a_fresh_process_and_this_test_session_draw_the_same_cases() -> None:
    # This process has imported the test suite's modules; the child only the toolkit.
    code = "import json; from conformance.generation import valid_cases; "
    code += "print(json.dumps([c.id for c in valid_cases(20, seed=1)]))"
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(child.stdout) == [case.id for case in valid_cases(20, seed=1)]


def test_hypothesis_gets_its_local_constants_back_afterwards() -> None:
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    with without_local_constants():
        assert providers._get_local_constants is not original
        assert not providers._get_local_constants().strings
    assert providers._get_local_constants is original
