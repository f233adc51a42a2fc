"""What checks judge: one case's exchange, or a scenario's several exchanges.

A scenario is a first-class case made of more than one request (the same
body twice, a body streamed and not streamed, a body without a token). Its
check names a ``plan`` that builds the scenarios; the runner sends their
requests in order and hands the check a `ScenarioOutcome`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.generation import Case
from conformance.transport import Auth, Exchange


@dataclass(frozen=True)
class RunFacts:
    """What a check may need to know about the run itself."""

    has_token: bool = True


@dataclass(frozen=True)
class Observation:
    """One case and the exchange it produced."""

    case: Case
    exchange: Exchange
    run: RunFacts = RunFacts()


@dataclass(frozen=True)
class ScenarioRequest:
    """One request of a scenario and how it authenticates."""

    body: Any
    auth: Auth = "token"


@dataclass(frozen=True)
class Scenario:
    """A case made of several requests, judged together by one check.

    >>> Scenario("scenario/same-seed-1", "same seed twice", (ScenarioRequest({"prompt": "x"}),)).kind
    'scenario'
    """

    id: str
    label: str
    requests: tuple[ScenarioRequest, ...]
    check: str = ""  # the id of the check that judges it; the runner fills it in from the plan

    @property
    def kind(self) -> str:
        return "scenario"

    @property
    def stream(self) -> bool:
        return any(isinstance(r.body, dict) and r.body.get("stream") is True for r in self.requests)


@dataclass(frozen=True)
class PlanContext:
    """What a scenario plan may use: the run's seed, how many scenarios the profile wants, the token."""

    seed: int
    count: int = 1
    has_token: bool = True


@dataclass(frozen=True)
class ScenarioOutcome:
    """A scenario and its exchanges, in the order of its requests."""

    scenario: Scenario
    exchanges: tuple[Exchange, ...]
    run: RunFacts = RunFacts()
