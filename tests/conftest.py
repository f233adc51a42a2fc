"""What every test folder shares.

The folders mirror the package: tests/runner/ tests conformance/runner/, and so
on; tests/end_to_end/ drives the CLI across layers (the fault and framing
tables, hostile servers, plain ``st run``). tests/support/ holds the loopback
servers and helpers, imported as ``support`` (pyproject.toml puts tests/ on
pytest's ``pythonpath``). Fixtures used by several files of one folder live in
that folder's conftest.py.
"""

# pytester runs pytest itself: tests/test_options.py and tests/pytest_plugin/.
pytest_plugins = ["pytester"]
