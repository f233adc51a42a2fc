"""Events a run emits, in order: one `RunStarted`, an `ItemFinished` per case or scenario, one `RunFinished`.

Consumers (the CLI's progress display, a library user's loop over
`conformance.run`) read these; the runner never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.runner.config import RunConfig
from conformance.runner.results import CaseResult, RunResult


@dataclass(frozen=True)
class RunStarted:
    """The plan is made: how many cases and scenarios will run, under which seed."""

    config: RunConfig
    total: int
    seed: int


@dataclass(frozen=True)
class ItemFinished:
    """One case or scenario has been sent and judged."""

    index: int
    total: int
    result: CaseResult


@dataclass(frozen=True)
class RunFinished:
    """The run is over; ``result`` holds the verdict and everything the reports need."""

    result: RunResult


Event = RunStarted | ItemFinished | RunFinished
