"""The Locust user: draws a case from the mix, sends it, judges the exchange, reports every check to Locust.

Imported only inside a Locust process (`conformance.load.process`), after
Locust has patched the standard library with gevent. `configure` sets up
the process once (from the settings the master sent, on a worker); each
user then holds its own connection and its own seeded draws.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

import gevent
from locust import User, constant, task

from conformance.checks import Check, RunFacts, registry
from conformance.contract import schema_version
from conformance.load.figures import Figures
from conformance.load.judging import SAMPLED, judge
from conformance.load.mix import Picker, Pools, user_seed
from conformance.load.observe import Observer
from conformance.load.settings import LoadSettings
from conformance.load.wire import Connection
from conformance.transport import token_from_environment

TOKEN_VARIABLE = "CONFORMANCE_LOAD_TOKEN"
"""How a Locust process gets the token: its parent sets this variable, never a message or a file."""

MAX_RETRY_AFTER_WAIT_S = 5.0
"""A refused user waits what Retry-After asks, up to this, before its next request."""


@dataclass
class ProcessState:
    """What every user of one process shares."""

    settings: LoadSettings
    pools: Pools
    checks: list[Check]
    facts: RunFacts
    figures: Figures
    observer: Observer
    token: str | None
    index: int
    numbers: itertools.count[int]


_state: ProcessState | None = None


def configure(settings: LoadSettings, figures: Figures, *, index: int, worker: str) -> ProcessState:
    """Set up this process's users from ``settings``; ``index`` tells processes' draws apart."""
    global _state
    token = token_from_environment(TOKEN_VARIABLE)
    checks = [registry[check_id] for check_id in settings.checks if check_id in registry]
    _state = ProcessState(
        settings=settings,
        pools=Pools.build(settings.valid_bodies, settings.schema_version),
        checks=checks,
        facts=RunFacts(has_token=settings.has_token, schema=schema_version(settings.schema_version)),
        figures=figures,
        observer=Observer(figures, interval_s=settings.series_interval_s, worker=worker),
        token=token,
        index=index,
        numbers=itertools.count(),
    )
    return _state


class ConformanceUser(User):
    """One simulated client of the run endpoint, sending without pause (the users set the load)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        if _state is None:
            raise RuntimeError("conformance.load.user.configure() was not called in this process")
        self.state = _state
        settings = self.state.settings
        number = next(self.state.numbers)
        self.picker = Picker(
            self.state.pools, settings.mix, seed=settings.seed, user=number, process=self.state.index
        )
        self.sampling = random.Random(user_seed(settings.seed + 1, self.state.index, number))
        self.connection = Connection.for_target(settings.target(self.state.token))

    def on_stop(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None:
            connection.close()

    def _sample(self, check_id: str) -> bool:
        return self.sampling.random() < SAMPLED.get(check_id, 1.0)

    @task
    def exchange(self) -> None:
        state = self.state
        mix_class, case = self.picker.next()
        sent = self.connection.send(case.body)
        judged = judge(case, sent.exchange, state.checks, state.facts, sample=self._sample)
        fire: Any = self.environment.events.request.fire
        for event in state.observer.observe(mix_class, case, sent, judged):
            fire(
                request_type=event.request_type,
                name=event.name,
                response_time=event.response_time,
                response_length=event.response_length,
                exception=event.exception,
                context={},
                response=None,
            )
        if judged.refusal is not None and judged.refusal.retry_after_s:
            gevent.sleep(min(judged.refusal.retry_after_s, MAX_RETRY_AFTER_WAIT_S))
