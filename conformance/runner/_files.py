"""The files a run's configuration names besides its reports: the baseline and the recording.

The judge and the driver read and write no file. Every entry point that takes
a `RunConfig` (`run`, `arun`, `replay`, `replay_items`, `judge_sent`) wraps
its events in `keeping_files`: the baseline is loaded before the run
(`baseline_for`) and handed in as a value, the recorder reads the events as
they pass (`recorded`), and the baseline is written back when the run
rewrites it (`save_updated_baseline`), before `RunFinished` reaches the caller.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

from conformance.checks import RunFacts
from conformance.runner.baseline import Baseline, baseline_for, save_updated_baseline
from conformance.runner.config import RunConfig
from conformance.runner.events import Event, RunFinished
from conformance.runner.recording import recorded


async def keeping_files(
    config: RunConfig, facts: RunFacts, start: Callable[[Baseline | None], AsyncGenerator[Event, None]]
) -> AsyncGenerator[Event, None]:
    """The events of ``start(baseline)``, with the baseline and the recording ``config`` names kept."""
    baseline = baseline_for(config)
    async with aclosing(recorded(start(baseline), config, facts)) as events:
        async for event in events:
            if isinstance(event, RunFinished):
                save_updated_baseline(event.result)
            yield event
