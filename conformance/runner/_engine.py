"""The run itself: plan the cases and scenarios, send them, judge each as it finishes, sum up.

`run` is a plain generator of events for callers without an event loop;
`arun` is the same as an async generator. Live runs send through
`conformance.transport.Client`; replays send through a recording.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import unquote

from conformance.checks import (
    Check,
    CheckFailure,
    CheckSkipped,
    NotApplicable,
    Observation,
    PlanContext,
    Route,
    RunFacts,
    Scenario,
    ScenarioOutcome,
    ScenarioRequest,
)
from conformance.checks.subjects import MAX_FOLLOW_UPS
from conformance.contract import MODEL, ErrorCode
from conformance.contract.bounded_json import read_json
from conformance.generation import Case
from conformance.runner import profiles
from conformance.runner._schedule import Schedule, runs_alone
from conformance.runner._stopping import TargetStopped, Watchdog, not_judged, was_not_judged
from conformance.runner._verdict import summarise
from conformance.runner.config import RunConfig
from conformance.runner.events import Event, ItemFinished, RunFinished, RunStarted
from conformance.runner.recording import Recorder
from conformance.runner.results import CaseOutcome, CaseResult, CheckStatus, Failure, now
from conformance.transport import NOT_HTTP, Auth, Client, Exchange

Item = Case | Scenario

PROBE_BODY = {"prompt": "Hello", "max_tokens": 1}
"""Sent once before a live run: an unreachable target or a refused token ends the run at once."""


class Sender(Protocol):
    """Where requests go: the live client or a recording."""

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange: ...


class Probe(Protocol):
    """What sends the probe request: the live client, or a recording of its answer."""

    async def send(self, body: Any) -> Exchange: ...


class LiveSender:
    """Sends each request through a live `Client`, on the route a follow-up asks for."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        if route is None:
            return await self.client.send(body, auth=auth)
        return await self.client.send(body, auth=auth, account=route.account, model=route.model)


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
    the request that first checks the target is reachable and accepts the token.

    >>> for event in run(RunConfig(base_url="http://127.0.0.1:8787/client/v4", account_id="X")):
    ...     if isinstance(event, RunFinished):
    ...         print(event.result.verdict)          # doctest: +SKIP
    pass
    """
    return _drive(arun(config, plan, probe=probe))


def _drive(events: AsyncIterator[Event]) -> Iterator[Event]:
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                break
    finally:
        loop.run_until_complete(events.aclose())  # type: ignore[attr-defined]
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def arun(config: RunConfig, plan: Plan | None = None, *, probe: bool = True) -> AsyncIterator[Event]:
    """`run` as an async generator, for callers that already have an event loop."""
    facts = RunFacts(has_token=config.token is not None, schema=config.schema)
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
        async for event in execute(config, checks, items, skipped, sender, facts, probe=prober):
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
    probe: Probe | None = None,
    stopped: str | None = None,
) -> AsyncIterator[Event]:
    """Send every item through ``sender``, judge it, and finish with the run's result.

    ``stopped`` says why a recorded run stopped sending, for a replay of it; a
    live run's `Watchdog` sender says so itself.
    """
    started_at, started = now(), time.perf_counter()
    yield RunStarted(config, len(items), config.run_seed)
    owner = _scenario_owners(checks, items)
    schedule = Schedule()
    recorder = Recorder.open(config, facts) if config.record is not None else None
    results: list[CaseResult | None] = [None] * len(items)
    extra_requests = 0
    reason: str | None = None
    try:
        if probe is not None:
            extra_requests = 1
            reason = _untestable_from_probe(await probe.send(PROBE_BODY), facts)
        if reason is None:
            pending = {
                asyncio.ensure_future(
                    _unless_stopped(i, item, _scheduled(schedule, i, item, checks, owner, sender, facts))
                ): i
                for i, item in enumerate(items)
            }
            done_count = 0
            for next_done in asyncio.as_completed(list(pending)):
                index, result = await next_done
                results[index] = result
                if was_not_judged(result):
                    if recorder is not None:
                        recorder.add(result.item, ())  # so that a replay does not judge it either
                    continue  # nothing to show one by one: the run's reason says it
                done_count += 1
                if recorder is not None:
                    recorder.add(result.item, result.exchanges)
                yield ItemFinished(done_count, len(items), result)
        stopped = stopped or _stopped_by(sender, results)
        if recorder is not None and stopped is not None:
            recorder.stopped(stopped)
    finally:
        if recorder is not None:
            recorder.close()
    finished = [r for r in results if r is not None]
    if reason is None and stopped is None:
        reason = _untestable_from_results(finished, facts)
    yield RunFinished(
        summarise(
            config,
            checks,
            finished,
            skipped,
            facts,
            reason=reason,
            stopped=stopped,
            extra_requests=extra_requests,
            started_at=started_at,
            finished_at=now(),
            duration_s=time.perf_counter() - started,
        )
    )


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
    plugin); a run sends its whole plan through `execute`. Callers that send
    several items at once pass one `Schedule` to every call, so that an
    exclusive scenario still runs alone.
    """
    owner = _scenario_owners(checks, [item])
    _, result = await _unless_stopped(
        0, item, _scheduled(schedule or Schedule(), 0, item, checks, owner, sender, facts)
    )
    return result


def judge_case(case: Case, exchange: Exchange, checks: Sequence[Check], facts: RunFacts) -> CaseResult:
    """Every exchange check on one case's exchange."""
    if exchange.error is not None and exchange.status is None:
        return CaseResult(case, "error", {}, (), (exchange,), error=exchange.error)
    if exchange.status == 429 and exchange.retries:
        # Out of capacity is a documented refusal: it says nothing about the
        # property the case exercises, so the case cannot be judged. The 429
        # itself can: a broken envelope on it fails the case.
        envelope = [c for c in checks if c.id in _JUDGED_WHEN_RATE_LIMITED]
        judged = _judge_each(case, exchange, envelope, facts)
        if judged.failures:
            return judged
        error = f"rate limited: still 429 after {exchange.retries} retries"
        return CaseResult(case, "error", {}, (), (exchange,), error=error)
    return _judge_each(case, exchange, checks, facts)


_JUDGED_WHEN_RATE_LIMITED = frozenset({"error_envelope_conformance"})


def _judge_each(case: Case, exchange: Exchange, checks: Sequence[Check], facts: RunFacts) -> CaseResult:
    observation = Observation(case, exchange, facts)
    statuses: dict[str, CheckStatus] = {}
    failures: list[Failure] = []
    skips: list[Failure] = []
    for check in checks:
        status, note = _apply(check, observation, case.id)
        if status is not None:
            statuses[check.id] = status
        if note is not None:
            (skips if status == "skipped" else failures).append(note)
    return CaseResult(case, _outcome(statuses), statuses, tuple(failures), (exchange,), skips=tuple(skips))


def judge_scenario(
    scenario: Scenario, exchanges: tuple[Exchange, ...], check: Check | None, facts: RunFacts
) -> CaseResult:
    """A scenario's own check on its exchanges."""
    if check is None:
        return CaseResult(
            scenario, "error", {}, (), exchanges, error="no selected check judges this scenario"
        )
    if all(e.status is None for e in exchanges):
        return CaseResult(scenario, "error", {}, (), exchanges, error=exchanges[0].error)
    status, note = _apply(check, ScenarioOutcome(scenario, exchanges, facts), scenario.id)
    statuses: dict[str, CheckStatus] = {check.id: status} if status is not None else {}
    notes = (note,) if note is not None else ()
    if status == "skipped":
        return CaseResult(scenario, _outcome(statuses), statuses, (), exchanges, skips=notes)
    return CaseResult(scenario, _outcome(statuses), statuses, notes, exchanges)


def _apply(check: Check, subject: Any, case_id: str) -> tuple[CheckStatus | None, Failure | None]:
    """The check's status on one subject, with its failure or, for a skip, its reason."""
    try:
        check(subject)
    except NotApplicable:
        return None, None
    except CheckSkipped as exc:
        return "skipped", Failure(check.id, case_id, exc.reason, check.severity)
    except CheckFailure as exc:
        return "failed", Failure(check.id, case_id, str(exc), check.severity)
    except Exception as exc:  # a check's own bug must not end the run
        message = f"Received: the check raised {type(exc).__name__}: {exc}\nExpected: the check to finish"
        return "error", Failure(check.id, case_id, message, check.severity)
    return "passed", None


def _outcome(statuses: dict[str, CheckStatus]) -> CaseOutcome:
    values = set(statuses.values())
    if "error" in values:
        return "error"
    return "failed" if "failed" in values else "passed"


def _untestable_from_probe(exchange: Exchange, facts: RunFacts) -> str | None:
    retired = model_not_served(exchange)
    if retired is not None:
        return retired
    if exchange.status is None:
        if exchange.error is not None and exchange.error.startswith(NOT_HTTP):
            # Garbage, TLS on a plain port, 10 000 headers: it answered, but nothing can be judged.
            return f"the target's answer to the first request was {exchange.error} (POST {exchange.url})"
        return f"the target is unreachable: {exchange.error} (POST {exchange.url})"
    if exchange.status in (401, 403):
        if facts.has_token:
            return (
                f"the target refused the token with {exchange.status}: every request would fail auth; "
                "check the token and the account id"
            )
        return (
            f"the target requires a token (it answered {exchange.status}) and this run has none: "
            "put it in CLOUDFLARE_API_TOKEN (or CLOUDFLARE_AUTH_TOKEN), or in the variable --token-env names"
        )
    return None


_NOT_SERVED = {
    ErrorCode.NO_SUCH_MODEL: "no such model or task",
    ErrorCode.MODEL_DEPRECATED: "model deprecated",
}
_NOT_SERVED_WORDS = re.compile(r"no such model|deprecated|decommissioned|retired", re.IGNORECASE)


def model_not_served(exchange: Exchange) -> str | None:
    """Why the probe says the run's model is not served (retired or unknown), or None.

    Read from the first request's answer by every front end that probes
    (`run`, the pytest plugin, `conformance load`).

    A retired model answers every request the same way; judging hundreds of
    those answers would bury the one fact that matters. Cloudflare answers an
    unknown model with 400 and code 5007, a deprecated one with code 5028
    ("This model was deprecated on ... Please use an alternative model").
    """
    if exchange.status is None or exchange.status // 100 != 4:
        return None
    try:
        body = read_json(exchange.body)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors if isinstance(errors, list) else ():
        code, message = (error.get("code"), error.get("message")) if isinstance(error, dict) else (None, None)
        known = next((c for c in _NOT_SERVED if str(code) == str(c.value)), None)
        if known is None and not (isinstance(message, str) and _NOT_SERVED_WORDS.search(message)):
            continue
        said = f"{exchange.status} with code {code}" + (f" ({_NOT_SERVED[known]})" if known else "")
        if isinstance(message, str):
            said += f", {message[:200]!r}"
        _, routed, model = exchange.url.partition("/ai/run/")
        model = unquote(model) if routed else "the run names"
        retired = f" Cloudflare deprecated {MODEL} on 2025-10-01." if model == MODEL else ""
        return (
            f"the target does not serve the model {model}: it answered the first request with {said}; "
            f"every request would get the same answer, so nothing was judged.{retired} "
            "Pass --model with a model the target serves (the same schema is published for "
            "@cf/meta/llama-2-7b-chat-fp16), or --base-url for an implementation of your own"
        )
    return None


def _untestable_from_results(results: Sequence[CaseResult], facts: RunFacts) -> str | None:
    exchanges = [e for r in results if "auth_enforced" not in r.checks for e in r.exchanges]
    if not exchanges:
        return None
    if all(e.status is None for e in exchanges):
        return f"the target is unreachable: every request failed ({exchanges[0].error})"
    if all(e.status in (401, 403) for e in exchanges):
        return f"every request failed auth ({exchanges[0].status})"
    return None
