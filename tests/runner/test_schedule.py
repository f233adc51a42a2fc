"""Which items run beside which: the schedule's gate, and the runner sending exclusive scenarios alone.

The gate is tested with items that wait on events (no clocks); the runner is
tested over loopback against the fake server, with a sender that notes what
else of the run was in flight when each request went out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from conformance.checks import Route, RunFacts, Scenario, ScenarioRequest
from conformance.runner import RunConfig, RunFinished, RunResult, Schedule
from conformance.runner._driver import _waves, execute, plan
from conformance.runner._sending import LiveSender
from conformance.runner.recording import item_from_json, item_to_json
from conformance.transport import Auth, Client, Exchange
from support.fake_server import fake_server
from support.samples import TOKEN, small_cases

T = TypeVar("T")

# The gate


async def _item(
    schedule: Schedule, alone: bool, name: str, log: list[str], release: asyncio.Event | None = None
) -> None:
    async with schedule.slot(alone):
        log.append(f"start {name}")
        if release is not None:
            await release.wait()
        log.append(f"end {name}")


async def _settle() -> None:
    for _ in range(20):  # let every task that can move, move
        await asyncio.sleep(0)


def _start(coroutine: Awaitable[T]) -> asyncio.Future[T]:
    return asyncio.ensure_future(coroutine)


def test_an_exclusive_item_waits_for_those_in_flight_and_holds_back_those_after_it() -> None:
    async def scenario() -> list[str]:
        schedule, log = Schedule(), []
        first, second = asyncio.Event(), asyncio.Event()
        tasks = [
            _start(_item(schedule, False, "a", log, first)),
            _start(_item(schedule, False, "b", log, second)),
            _start(_item(schedule, True, "alone", log)),
            _start(_item(schedule, False, "c", log)),
        ]
        await _settle()
        assert log == ["start a", "start b"]  # c waits behind the exclusive item
        first.set()
        await _settle()
        assert log == ["start a", "start b", "end a"]  # b still in flight: alone waits
        second.set()
        await asyncio.gather(*tasks)
        return log

    log = asyncio.run(scenario())
    assert log[3:] == ["end b", "start alone", "end alone", "start c", "end c"]


def test_exclusive_items_run_one_at_a_time_in_the_order_they_asked() -> None:
    async def scenario() -> list[str]:
        schedule, log = Schedule(), []
        release = asyncio.Event()
        tasks = [_start(_item(schedule, True, "one", log, release))]
        tasks += [_start(_item(schedule, True, name, log)) for name in ("two", "three")]
        await _settle()
        assert log == ["start one"]
        release.set()
        await asyncio.gather(*tasks)
        return log

    assert asyncio.run(scenario()) == [
        "start one",
        "end one",
        "start two",
        "end two",
        "start three",
        "end three",
    ]


def test_a_cancelled_exclusive_item_gives_its_turn_back() -> None:
    async def scenario() -> list[str]:
        schedule, log = Schedule(), []
        release = asyncio.Event()
        busy = _start(_item(schedule, False, "busy", log, release))
        await _settle()
        waiting = _start(_item(schedule, True, "cancelled", log))
        later = _start(_item(schedule, False, "later", log))
        await _settle()
        waiting.cancel()  # what -x or Ctrl-C does to an item not yet sent
        release.set()
        await asyncio.gather(busy, later)
        return log

    assert asyncio.run(scenario()) == ["start busy", "end busy", "start later", "end later"]


def test_adjacent_requests_of_one_wave_go_together_and_the_rest_one_by_one() -> None:
    one, two = ScenarioRequest({}, wave=1), ScenarioRequest({}, wave=2)
    alone = ScenarioRequest({})
    assert [len(w) for w in _waves([alone, one, one, alone, alone, two, two, one])] == [1, 2, 1, 1, 2, 1]


def test_a_recording_keeps_what_a_scenario_declares_about_its_scheduling() -> None:
    scenario = Scenario(
        "scenario/x", "x", (ScenarioRequest({"p": 1}), ScenarioRequest({"p": 1}, wave=1)), "c", exclusive=True
    )
    assert item_from_json(item_to_json(scenario)) == scenario
    plain = Scenario("scenario/y", "y", (ScenarioRequest({}),))
    assert "exclusive" not in item_to_json(plain) and not item_from_json(item_to_json(plain)).exclusive


# The runner


class _Tracking:
    """Sends through the live client; notes, for each request, what else of the run was in flight."""

    def __init__(self, inner: LiveSender) -> None:
        self.inner = inner
        self.in_flight: set[tuple[str, int]] = set()
        self.beside: dict[tuple[str, int], set[tuple[str, int]]] = {}
        self.peak: dict[str, int] = {}

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        key = (item_id, index)
        self.beside[key] = set(self.in_flight)
        for other in self.in_flight:
            self.beside[other].add(key)
        self.in_flight.add(key)
        mine = sum(1 for i, _ in self.in_flight if i == item_id)
        self.peak[item_id] = max(self.peak.get(item_id, 0), mine)
        try:
            return await self.inner.send(item_id, index, body, auth, route)
        finally:
            self.in_flight.discard(key)


def _tracked_run(config: RunConfig) -> tuple[_Tracking, list[Any], RunResult]:
    facts = RunFacts(has_token=True)
    checks = config.selected_checks()
    items, skipped = plan(config, checks, facts)

    async def go(url: str) -> tuple[_Tracking, RunResult]:
        async with Client(url, "X", token=TOKEN, settings=config.transport_settings()) as client:
            sender = _Tracking(LiveSender(client))
            events = [e async for e in execute(config, checks, items, skipped, sender, facts)]
        final = events[-1]
        assert isinstance(final, RunFinished)
        return sender, final.result

    sender, result = asyncio.run(go(config.base_url))
    return sender, items, result


@pytest.fixture(scope="module")
def tracked() -> tuple[_Tracking, list[Any], RunResult]:
    with fake_server(token=TOKEN) as url:
        config = RunConfig(base_url=url, account_id="X", token=TOKEN, seed=5, profile="smoke", concurrency=4)
        return _tracked_run(config)


def test_an_exclusive_scenario_has_nothing_else_of_the_run_in_flight(
    tracked: tuple[_Tracking, list[Any], RunResult],
) -> None:
    sender, items, result = tracked
    exclusive = [i for i in items if isinstance(i, Scenario) and i.exclusive]
    assert {i.check for i in exclusive} == {
        "same_seed_same_text",
        "temperature_zero_deterministic",
        "stream_matches_non_stream",
        "concurrent_answers_unchanged",
    }
    for scenario in exclusive:
        for index, request in enumerate(scenario.requests):
            others = sender.beside[(scenario.id, index)]
            assert {item_id for item_id, _ in others} <= {scenario.id}, (scenario.id, index, others)
            if not request.wave:
                assert others == set(), (scenario.id, index, others)
    # The rest do run beside each other: the gate holds back only what must be alone.
    assert any(sender.beside[(i.id, 0)] for i in items if not isinstance(i, Scenario))
    assert result.exit_code == 0, [f.message for f in result.failures]


Tracked = tuple[_Tracking, list[Any], RunResult]


def test_the_requests_of_a_wave_are_in_flight_together(tracked: Tracked) -> None:
    sender, items, _ = tracked
    concurrent = [i for i in items if isinstance(i, Scenario) and i.check == "concurrent_answers_unchanged"]
    assert concurrent and all(sum(1 for r in s.requests if r.wave) == 4 for s in concurrent)
    assert all(sender.peak[s.id] == 4 for s in concurrent)


def test_the_plugin_s_entry_point_takes_one_schedule_for_items_sent_at_once() -> None:
    # The pytest plugin sends each item through send_and_judge: with one shared
    # schedule, an exclusive scenario still waits for the items in flight.
    from conformance.runner import send_and_judge

    config = RunConfig(base_url="http://127.0.0.1:1/client/v4", account_id="X", token=TOKEN, seed=5)
    checks = config.selected_checks()
    scenario = next(i for i in plan(config, checks, RunFacts())[0] if isinstance(i, Scenario) and i.exclusive)
    case = small_cases()[0]

    class Paused:
        def __init__(self) -> None:
            self.release = asyncio.Event()
            self.log: list[str] = []

        async def send(
            self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
        ) -> Exchange:
            self.log.append(f"{item_id} {index}")
            if item_id == case.id:
                await self.release.wait()
            return Exchange("POST", "http://x/run", {}, body, status=200)

    async def scenario_after_case() -> list[str]:
        schedule, sender = Schedule(), Paused()
        first = _start(send_and_judge(case, checks, sender, RunFacts(), schedule))
        second = _start(send_and_judge(scenario, checks, sender, RunFacts(), schedule))
        await _settle()
        assert sender.log == [f"{case.id} 0"]
        sender.release.set()
        await asyncio.gather(first, second)
        return sender.log

    log = asyncio.run(scenario_after_case())
    assert log[1:] == [f"{scenario.id} {k}" for k in range(len(scenario.requests))]


def test_an_exclusive_scenario_stops_sending_once_the_target_does_not_answer() -> None:
    # Alone, every request left would wait out its timeout in turn, holding the whole run.
    from conformance.runner._driver import _send_requests

    class Silent:
        def __init__(self) -> None:
            self.sent: list[int] = []

        async def send(
            self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
        ) -> Exchange:
            self.sent.append(index)
            return Exchange("POST", "http://x/run", {}, body, error="ReadTimeout: timed out")

    requests = tuple(ScenarioRequest({"prompt": str(k)}) for k in range(4))
    alone, beside = Silent(), Silent()
    exchanges = asyncio.run(_send_requests(Scenario("s/a", "a", requests, "c", exclusive=True), alone))
    asyncio.run(_send_requests(Scenario("s/b", "b", requests, "c"), beside))
    assert alone.sent == [0] and beside.sent == [0, 1, 2, 3]
    assert [e.request_body for e in exchanges] == [r.body for r in requests]
    not_sent = "not sent: the request before it got no answer (ReadTimeout: timed out)"
    assert [e.error for e in exchanges[1:]] == [not_sent] * 3
