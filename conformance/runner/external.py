"""Judging exchanges another engine sent (``conformance fuzz``): the events, verdict and reports of a run.

The other engine chooses and sends the requests; here each one is judged by
the selected checks exactly as a live run judges it, so baselines,
recordings, exit codes and every writer apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from conformance.checks import Route, RunFacts
from conformance.generation import Case
from conformance.runner._driver import _drive, execute
from conformance.runner._files import keeping_files
from conformance.runner.config import RunConfig
from conformance.runner.events import Event
from conformance.transport import Auth, Exchange


class _Sent:
    def __init__(self, exchanges: dict[str, Exchange]) -> None:
        self._exchanges = exchanges

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        return self._exchanges[item_id]


def judge_sent(
    config: RunConfig,
    sent: Sequence[tuple[Case, Exchange]],
    facts: RunFacts,
    *,
    skipped: dict[str, str] | None = None,
) -> Iterator[Event]:
    """Judge each (case, exchange) pair with ``config``'s checks; yields the events `run` yields.

    Scenario checks are not judged (the other engine sent no scenarios);
    ``skipped`` gives each the reason shown in the reports.
    """
    checks = config.selected_checks()
    cases = [case for case, _ in sent]
    exchanges = {case.id: exchange for case, exchange in sent}
    sender, reasons = _Sent(exchanges), dict(skipped or {})
    return _drive(
        keeping_files(
            config,
            facts,
            lambda baseline: execute(config, checks, cases, reasons, sender, facts, baseline=baseline),
        )
    )
