"""The suite as pytest items: one per case and per scenario of the run's plan, in the plan's order.

``pytest --pyargs conformance.suite`` collects `SuiteFile`; its items are
named ``case[<case id>]`` (``case[boundary/prompt-131072-astral]``), so
``-k``, ``--lf`` and ``--deselect`` work on what the run sends. The plan
depends only on the profile, the seed and the checks, so every xdist worker
collects the same items in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import pytest

from conformance.checks import Scenario
from conformance.generation import Case
from conformance.pytest_plugin.verdicts import BaselinedFailure, ConformanceFailure, baseline_reason

Subject = Case | Scenario


class _Planned(Protocol):
    """What the items need of the session's plugin (`session.ConformancePlugin`), passed in."""

    @property
    def baseline(self) -> Mapping[tuple[str, str], str]: ...

    def plan(self) -> Any: ...

    def severities_of(self, subject: Subject) -> Sequence[str]: ...

    def judge(self, item: SuiteItem) -> None: ...


class SuiteFile(pytest.File):
    """``conformance/suite.py``: collects the plan instead of test functions."""

    def __init__(self, *, plugin: _Planned, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> Iterator[SuiteItem]:
        for subject in self.plugin.plan().items:
            name = f"case[{subject.id}]"
            # The nodeid as text, so pytest parses it as it parses the keys of its
            # cache: pytest 9 compares structured ids, and one built from the name
            # ("case[...]" as a single segment) never equals the parsed key ("case"
            # with params "..."), which made --lf and --ff find no known failure.
            nodeid = f"{self.nodeid}::{name}"
            yield SuiteItem.from_parent(self, name=name, nodeid=nodeid, subject=subject, plugin=self.plugin)


class SuiteItem(pytest.Item):
    """One case or scenario; running it waits for its verdict (the requests go out concurrently)."""

    def __init__(self, *, subject: Subject, plugin: _Planned, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.plugin = plugin
        self.add_marker("conformance")
        self.add_marker(str(subject.kind))
        self.add_marker("stream" if subject.stream else "nonstream")
        for severity in plugin.severities_of(subject):
            self.add_marker(severity)
        reason = baseline_reason(subject.id, plugin.baseline)
        if reason is not None:
            self.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=BaselinedFailure))

    def runtest(self) -> None:
        self.plugin.judge(self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, self.name
