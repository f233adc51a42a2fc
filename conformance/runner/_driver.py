"""The run itself: plan the cases and scenarios, send them, hand each to the judge as it finishes, sum up.

`run` is a plain generator of events for callers without an event loop;
`arun` is the same as an async generator. Live runs send through
`conformance.transport.Client`; replays send through a recording. The
driver decides what is in flight (`Schedule`), stops a run whose target
stopped answering (`Watchdog`) and sends the probe; judging is `_judge`'s,
and the files the configuration names (baseline, recording) are kept by
`_files.keeping_files` around the driver's events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Iterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace

from conformance.checks import Check, CheckSkipped, PlanContext, RunFacts, Scenario, ScenarioRequest
from conformance.checks.subjects import MAX_FOLLOW_UPS
from conformance.generation import Case
from conformance.runner import profiles
from conformance.runner._files import keeping_files
from conformance.runner._judge import (
    judge_case,
    judge_scenario,
    untestable_from_probe,
    untestable_from_results,
)
from conformance.runner._schedule import Schedule, runs_alone
from conformance.runner._sending import PROBE_BODY, LiveSender, Probe, Sender
from conformance.runner._stopping import TargetStopped, Watchdog, not_judged, was_not_judged
from conformance.runner._verdict import run_result
from conformance.runner.baseline import Baseline
from conformance.runner.config import RunConfig
from conformance.runner.events import Event, ItemFinished, RunFinished, RunStarted
from conformance.runner.results import CaseResult, now
from conformance.transport import Client, Exchange

Item = Case | Scenario


@dataclass(frozen=True)
class Plan:
    """What a run sends: its cases and scenarios, and the scenario checks skipped with their reasons.

    `plan_run` makes the plan a run would make; a caller that sends only part
    of it (the pytest plugin after ``-k``) passes a smaller one to `run`.
    """

    items: tuple[Item, ...]
    skipped: dict[str, str]

    def only(self, ids: set[str]) -> Plan:
        """The same plan with only the items whose ids are in ``ids``, in the same order."""
        return Plan(tuple(i for i in self.items if i.id in ids), self.skipped)


def plan_run(config: RunConfig) -> Plan:
    """The plan `run` makes for ``config``: deterministic for a given seed and profile."""
    facts = RunFacts(has_token=config.token is not None, schema=config.schema)
    items, skipped = plan(config, config.selected_checks(), facts)
    return Plan(tuple(items), skipped)


def run(config: RunConfig, plan: Plan | None = None, *, probe: bool = True) -> Iterator[Event]:
    """Run the suite against ``config``'s target, yielding events; the last is `RunFinished`.

    ``plan`` replaces the plan the run would make; ``probe=False`` leaves out
    the request that first checks the target is reachable and accepts the token::

        for event in run(RunConfig(base_url="http://127.0.0.1:8787/client/v4", account_id="X")):
            if isinstance(event, RunFinished):
                print(event.result.verdict)  # pass
    """
    return _drive(arun(config, plan, probe=probe))


def _drive(events: AsyncGenerator[Event, None]) -> Iterator[Event]:
    loop = asyncio.new_event_loop()
    last: RunFinished | None = None
    try:
        while True:
            try:
                event = loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                break
            if isinstance(event, RunFinished):
                last = event
                break
            yield event
    finally:
        loop.run_until_complete(events.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    # The last event comes once the loop is closed: a caller that stops reading at it
    # leaves nothing to close later, when the garbage collector may run inside another loop.
    if last is not None:
        yield last


async def arun(
    config: RunConfig, plan: Plan | None = None, *, probe: bool = True
) -> AsyncGenerator[Event, None]:
    """`run` as an async generator, for callers that already have an event loop."""
    facts = RunFacts(has_token=config.token is not None, schema=config.schema)
    events = keeping_files(config, facts, lambda baseline: _live(config, plan, probe, facts, baseline))
    # Closed here, in order, when the caller closes this generator: left to the loop's
    # shutdown, the nested generators would be closed all at once and collide.
    async with aclosing(events):
        async for event in events:
            yield event


async def _live(
    config: RunConfig, plan: Plan | None, probe: bool, facts: RunFacts, baseline: Baseline | None
) -> AsyncGenerator[Event, None]:
    checks = config.selected_checks()
    chosen = plan if plan is not None else plan_run(config)
    items, skipped = list(chosen.items), dict(chosen.skipped)
    async with Client(
        config.base_url,
        config.account_id,
        model=config.model,
        token=config.token,
        settings=config.transport_settings(),
    ) as client:
        prober = client if probe else None
        sender = Watchdog(LiveSender(client))  # a target that stops answering stops the run
        events = execute(config, checks, items, skipped, sender, facts, baseline=baseline, probe=prober)
        async for event in events:
            yield event


def plan(config: RunConfig, checks: Sequence[Check], facts: RunFacts) -> tuple[list[Item], dict[str, str]]:
    """The cases and scenarios to send, and the scenario checks skipped with their reasons."""
    items: list[Item] = list(config.cases if config.cases is not None else profiles.cases_for(config))
    skipped: dict[str, str] = {}
    context = PlanContext(
        seed=config.run_seed,
        count=profiles.scenario_count(config.profile),
        has_token=facts.has_token,
        concurrency=config.concurrency,
    )
    for item in checks:
        if item.plan is None:
            continue
        try:
            items.extend(replace(s, check=item.id) for s in item.plan(context))
        except CheckSkipped as exc:
            skipped[item.id] = exc.reason
    return items, skipped


async def execute(
    config: RunConfig,
    checks: Sequence[Check],
    items: Sequence[Item],
    skipped: dict[str, str],
    sender: Sender,
    facts: RunFacts,
    *,
    baseline: Baseline | None = None,
    probe: Probe | None = None,
    stopped: str | None = None,
    judged: Mapping[str, CaseResult] | None = None,
) -> AsyncGenerator[Event, None]:
    """Send every item through ``sender``, judge it, and finish with the run's result.

    ``baseline`` is applied to the result as a value; no file is read or
    written here. ``stopped`` says why a recorded run stopped sending, for a
    replay of it; a live run's `Watchdog` sender says so itself. ``judged``
    holds items already sent and judged the same way (`send_and_judge`, by
    the pytest plugin): they are taken as they are, not judged again.
    """
    started_at, started = now(), time.perf_counter()
    yield RunStarted(config, len(items), config.run_seed)
    results: list[CaseResult | None] = [None] * len(items)
    extra_requests = 0
    reason: str | None = None
    if probe is not None:
        extra_requests = 1
        reason = untestable_from_probe(await probe.send(PROBE_BODY), facts.has_token)
    if reason is None:
        done_count = 0
        async for index, result in _in_flight(items, checks, sender, facts, config.concurrency, judged or {}):
            results[index] = result
            if was_not_judged(result):
                continue  # nothing to show one by one: the run's reason says it
            done_count += 1
            yield ItemFinished(done_count, len(items), result)
    stopped = stopped or _stopped_by(sender, results)
    finished = [r for r in results if r is not None]
    if reason is None and stopped is None:
        reason = untestable_from_results(finished, checks)
    yield RunFinished(
        run_result(
            config,
            checks,
            finished,
            skipped,
            baseline=baseline,
            reason=reason,
            stopped=stopped,
            extra_requests=extra_requests,
            started_at=started_at,
            finished_at=now(),
            duration_s=time.perf_counter() - started,
        )
    )


async def _in_flight(
    items: Sequence[Item],
    checks: Sequence[Check],
    sender: Sender,
    facts: RunFacts,
    workers: int,
    judged: Mapping[str, CaseResult],
) -> AsyncGenerator[tuple[int, CaseResult], None]:
    """Each item's index and result as it finishes, with ``workers`` items in flight at most.

    The client already bounds the requests in flight to the concurrency; items
    are taken in order by that many workers rather than all started at once,
    so that an exclusive item holds back a handful of waiting items, not the
    whole run (each finished item would wake every one of them).
    """
    owner = _scenario_owners(checks, items)
    schedule = Schedule()
    finished: asyncio.Queue[tuple[int, CaseResult] | BaseException] = asyncio.Queue()
    queue = iter(enumerate(items))  # shared by the workers: next() never awaits

    async def work() -> None:
        try:
            for index, item in queue:
                if item.id in judged:
                    await finished.put((index, judged[item.id]))
                    continue
                sending = _scheduled(schedule, index, item, checks, owner, sender, facts)
                await finished.put(await _unless_stopped(index, item, sending))
        except Exception as exc:  # a bug, not the target's doing: raised in the run, not lost in a task
            await finished.put(exc)

    tasks = [asyncio.ensure_future(work()) for _ in range(min(max(workers, 1), len(items)))]
    try:
        for _ in items:
            got = await finished.get()
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _unless_stopped(
    index: int, item: Item, sending: Awaitable[tuple[int, CaseResult]]
) -> tuple[int, CaseResult]:
    """The item's result, or, when the run stopped before its answers came, its not-judged result."""
    try:
        return await sending
    except TargetStopped as stop:
        return index, not_judged(item, stop.reason)


def _stopped_by(sender: Sender, results: Sequence[CaseResult | None]) -> str | None:
    """Why the run stopped, when it did before the end: a stop after the last item cut nothing."""
    if not isinstance(sender, Watchdog) or not any(r is not None and was_not_judged(r) for r in results):
        return None
    return sender.stopped


def _scenario_owners(checks: Sequence[Check], items: Sequence[Item]) -> dict[str, Check]:
    """Which selected check judges each scenario."""
    by_id = {c.id: c for c in checks}
    return {i.id: by_id[i.check] for i in items if isinstance(i, Scenario) and i.check in by_id}


async def _scheduled(
    schedule: Schedule,
    index: int,
    item: Item,
    checks: Sequence[Check],
    owner: dict[str, Check],
    sender: Sender,
    facts: RunFacts,
) -> tuple[int, CaseResult]:
    """`_send_and_judge` once the schedule lets ``item`` go: beside the others, or alone."""
    async with schedule.slot(runs_alone(item)):
        return await _send_and_judge(index, item, checks, owner, sender, facts)


async def _send_and_judge(
    index: int, item: Item, checks: Sequence[Check], owner: dict[str, Check], sender: Sender, facts: RunFacts
) -> tuple[int, CaseResult]:
    if isinstance(item, Scenario):
        check = owner.get(item.id)
        exchanges = await _send_requests(item, sender)
        # A follow-up is a function of the answers so far, so a replay asks for the same requests.
        while (
            check is not None
            and check.follow_up is not None
            and len(exchanges) < len(item.requests) + MAX_FOLLOW_UPS
        ):
            more = check.follow_up(item, tuple(exchanges))
            if more is None:
                break
            exchanges.append(await sender.send(item.id, len(exchanges), more.body, more.auth, more.route))
        return index, judge_scenario(item, tuple(exchanges), check, facts)
    exchange = await sender.send(item.id, 0, item.body, "token")
    return index, judge_case(item, exchange, [c for c in checks if not c.is_scenario], facts)


async def _send_requests(scenario: Scenario, sender: Sender) -> list[Exchange]:
    """A scenario's requests in order; the adjacent requests of one wave go out at once."""
    exchanges: list[Exchange] = []
    for wave in _waves(scenario.requests):
        start = len(exchanges)
        if scenario.exclusive and start and exchanges[-1].status is None:
            # Alone, each request would wait out its own timeout while the run waits:
            # once the target stops answering, the rest of the scenario is not sent.
            unanswered = exchanges[-1]
            exchanges.extend(_unsent(unanswered, r) for r in scenario.requests[start:])
            break
        sends = (sender.send(scenario.id, start + k, r.body, r.auth, r.route) for k, r in enumerate(wave))
        exchanges.extend(await asyncio.gather(*sends))
    return exchanges


def _unsent(unanswered: Exchange, request: ScenarioRequest) -> Exchange:
    error = f"not sent: the request before it got no answer ({unanswered.error})"
    return Exchange("POST", unanswered.url, {}, request.body, error=error)


def _waves(requests: Sequence[ScenarioRequest]) -> list[list[ScenarioRequest]]:
    """Requests grouped as they are sent: each adjacent run of one wave together, the others one by one."""
    waves: list[list[ScenarioRequest]] = []
    for request in requests:
        if request.wave and waves and waves[-1][0].wave == request.wave:
            waves[-1].append(request)
        else:
            waves.append([request])
    return waves


async def send_and_judge(
    item: Item, checks: Sequence[Check], sender: Sender, facts: RunFacts, schedule: Schedule | None = None
) -> CaseResult:
    """Send one case or scenario through ``sender`` and judge it as a run does.

    For callers that decide what to send one item at a time (the pytest
    plugin); a run sends its whole plan through `execute`. Nothing is
    recorded or written: the caller judges what it received as one run
    (`replay_items`). Callers that send
    several items at once pass one `Schedule` to every call, so that an
    exclusive scenario still runs alone.
    """
    owner = _scenario_owners(checks, [item])
    _, result = await _unless_stopped(
        0, item, _scheduled(schedule or Schedule(), 0, item, checks, owner, sender, facts)
    )
    return result
