"""Replay: re-judge a recording offline with the current checks, no network needed::

    for event in replay(Path("capture.jsonl")):
        ...
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.checks import CheckRegistry, CheckSkipped, PlanContext, RunFacts, registry
from conformance.checks.subjects import Route
from conformance.contract import DEFAULT_SCHEMA_VERSION
from conformance.runner._driver import Plan, _drive, execute
from conformance.runner._files import keeping_files
from conformance.runner._sending import PROBE_BODY
from conformance.runner._stopping import TargetStopped
from conformance.runner.baseline import Baseline
from conformance.runner.config import RunConfig
from conformance.runner.events import Event
from conformance.runner.recording import Recording, load_recording
from conformance.runner.results import CaseResult
from conformance.transport import Auth, Exchange


class _RecordedSender:
    def __init__(self, items: Mapping[str, Sequence[Exchange]], stopped: str | None = None) -> None:
        self._exchanges = {
            (item_id, index): exchange
            for item_id, exchanges in items.items()
            for index, exchange in enumerate(exchanges)
        }
        self._stopped = stopped

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        if self._stopped is not None and (item_id, 0) not in self._exchanges:
            raise TargetStopped(self._stopped)  # the recorded run stopped before this was answered
        recorded = self._exchanges.get((item_id, index))
        if recorded is None:  # a follow-up the recording's run did not send
            return Exchange(
                "POST", "", {}, body, error=f"request {index} of {item_id} is not in the recording"
            )
        return recorded


def replay(
    path: Path,
    *,
    checks: Sequence[str] = (),
    exclude_checks: Sequence[str] = (),
    strict: bool = False,
    baseline: Path | None = None,
    update_baseline: bool = False,
    registry: CheckRegistry = registry,
    schema_version: str | None = None,
) -> Iterator[Event]:
    """Re-judge every exchange of the recording at ``path``; yields the same events as `run`.

    The checks follow the schema version the recording names (the page's for
    recordings older than versions), or ``schema_version`` when given.
    """
    recording = load_recording(path)
    header = recording.header
    target = header["target"]
    config = RunConfig(
        base_url=target["base_url"],
        account_id=target["account_id"],
        model=target["model"],
        profile=header["profile"],
        seed=header["seed"],
        checks=tuple(checks),
        exclude_checks=tuple(exclude_checks),
        strict=strict,
        baseline=baseline,
        update_baseline=update_baseline,
        cases=(),
        registry=registry,
        schema_version=schema_version or header.get("schema_version") or DEFAULT_SCHEMA_VERSION,
    )
    facts = RunFacts(has_token=bool(header.get("has_token")), schema=config.schema)
    return _drive(keeping_files(config, facts, lambda baseline: _replay(config, recording, facts, baseline)))


async def _replay(
    config: RunConfig, recording: Recording, facts: RunFacts, baseline: Baseline | None
) -> AsyncGenerator[Event, None]:
    selected = config.selected_checks()
    selected_ids = {c.id for c in selected}
    items = [item for item, _ in recording.items if getattr(item, "check", "") in ("", *selected_ids)]
    skipped: dict[str, str] = {}
    context = PlanContext(seed=config.run_seed, has_token=facts.has_token)
    for check in selected:
        if check.plan is not None and not any(getattr(i, "check", "") == check.id for i in items):
            try:
                check.plan(context)
                skipped[check.id] = "the recording holds no scenario for this check"
            except CheckSkipped as exc:  # the live run skipped it for this reason too
                skipped[check.id] = exc.reason
    sender = _RecordedSender({item.id: exchanges for item, exchanges in recording.items}, recording.stopped)
    events = execute(
        config, selected, items, skipped, sender, facts, baseline=baseline, stopped=recording.stopped
    )
    async for event in events:
        yield event


class _RecordedProbe:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def send(self, body: Any) -> Exchange:
        assert body == PROBE_BODY
        return self.exchange


def replay_items(
    config: RunConfig,
    plan: Plan,
    exchanges: Mapping[str, Sequence[Exchange]],
    *,
    probe: Exchange | None = None,
    stopped: str | None = None,
    judged: Mapping[str, CaseResult] | None = None,
) -> Iterator[Event]:
    """Judge exchanges sent elsewhere as one run of ``plan``'s items that have them.

    The pytest plugin sends items as pytest reaches them (under xdist, each
    worker its own); what they received is judged here as one run, with the
    probe's answer when one was sent, so the reports are those of `run`;
    ``stopped`` says why the sending stopped early, if it did (`Watchdog`).
    ``judged`` holds the items the caller already judged (`send_and_judge`,
    with this config's checks): their results are kept, not judged again.
    """
    facts = RunFacts(has_token=config.token is not None, schema=config.schema)
    items = [item for item in plan.items if item.id in exchanges]
    sender = _RecordedSender(exchanges)
    recorded = _RecordedProbe(probe) if probe is not None else None
    checks, skipped = config.selected_checks(), dict(plan.skipped)

    def judging(baseline: Baseline | None) -> AsyncGenerator[Event, None]:
        return execute(
            config,
            checks,
            items,
            skipped,
            sender,
            facts,
            baseline=baseline,
            probe=recorded,
            stopped=stopped,
            judged=judged,
        )

    return _drive(keeping_files(config, facts, judging))
