"""The page's Worker examples (or a user's Worker) in workerd, with an ``AI`` binding over any implementation.

`running_worker` starts workerd (from the checkout's npm folder, ``worker/``)
whose ``env.AI.run`` forwards to a target's REST route; `judge_examples`
fetches the two examples through it and judges what the binding returned.
A front end like the CLI: nothing in the library imports it. See docs/worker.md.
"""

from __future__ import annotations

from conformance.worker.judge import STREAM_CHECKS, Finding, PathVerdict, judge_examples
from conformance.worker.workerd import (
    EXAMPLES,
    BindingTarget,
    Example,
    RunningWorker,
    Toolchain,
    find_toolchain,
    running_worker,
)

__all__ = [
    "EXAMPLES",
    "STREAM_CHECKS",
    "BindingTarget",
    "Example",
    "Finding",
    "PathVerdict",
    "RunningWorker",
    "Toolchain",
    "find_toolchain",
    "judge_examples",
    "running_worker",
]
