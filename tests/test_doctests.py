"""The ``>>>`` examples in the package's docstrings run and show what the code does.

Each module whose source holds an example is imported by its own name (so a
module that registers checks registers them once) and its examples run with
the standard library's doctest, ``...`` matching anything, one test per
module. An example that cannot run here (it needs a model on a GPU, a server,
a file) is a plain code block (``::``), never a skipped example.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import conformance

PACKAGE = Path(conformance.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = sorted(
    module_name(path) for path in PACKAGE.rglob("*.py") if ">>>" in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name: str) -> None:
    tests = doctest.DocTestFinder().find(importlib.import_module(name), name)
    skipped = [
        f"{test.name}: {example.source.strip()}"
        for test in tests
        for example in test.examples
        if example.options.get(doctest.SKIP)
    ]
    assert not skipped, "an example that cannot run is a plain code block (::):\n" + "\n".join(skipped)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0, f"{name}: its '>>>' lines are not in a docstring that doctest finds"
    assert results.failed == 0, "".join(report)
