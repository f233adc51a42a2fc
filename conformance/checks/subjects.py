"""What checks judge: one case's exchange, or a scenario's several exchanges.

A scenario is a first-class case made of more than one request (the same
body twice, a body streamed and not streamed, a body without a token). Its
check names a ``plan`` that builds the scenarios; the runner sends their
requests in order (those of one ``wave`` at once) and hands the check a
`ScenarioOutcome`; an ``exclusive`` scenario is sent with nothing else of the
run in flight, so its requests see no other request between them but the ones
it places there. A check may also
name a ``follow_up``: given the exchanges so far, the next request to send
(or None), so a scenario can search (the longest prompt a server accepts)
within `MAX_FOLLOW_UPS` more requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import SchemaVersion, default_schema_version
from conformance.generation import Case
from conformance.transport import Auth, Exchange

MAX_FOLLOW_UPS = 20
"""The most follow-up requests one scenario may send: a bound on what a search may cost."""


@dataclass(frozen=True)
class RunFacts:
    """What a check may need to know about the run itself: the token, the schema version it follows."""

    has_token: bool = True
    schema: SchemaVersion = field(default_factory=default_schema_version)


@dataclass(frozen=True)
class Observation:
    """One case and the exchange it produced."""

    case: Case
    exchange: Exchange
    run: RunFacts = RunFacts()


@dataclass(frozen=True)
class Route:
    """Another path for one request: an account or a model other than the run's.

    >>> Route(model="@cf/no/such-model").account is None
    True
    """

    account: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class ScenarioRequest:
    """One request of a scenario, how it authenticates, and where it goes (the run's path by default).

    ``wave`` above 0 sends the request at once with the adjacent requests of
    the same wave, instead of after the previous request has finished.
    """

    body: Any
    auth: Auth = "token"
    route: Route | None = None
    wave: int = 0


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
    exclusive: bool = False
    """Sent alone: the runner lets what is in flight finish, sends this scenario, then resumes the rest."""

    @property
    def kind(self) -> str:
        return "scenario"

    @property
    def stream(self) -> bool:
        return any(isinstance(r.body, dict) and r.body.get("stream") is True for r in self.requests)


@dataclass(frozen=True)
class PlanContext:
    """What a scenario plan may use: the seed, the profile's scenario count, the token, ``--concurrency``."""

    seed: int
    count: int = 1
    has_token: bool = True
    concurrency: int = 4


@dataclass(frozen=True)
class ScenarioOutcome:
    """A scenario and its exchanges, in the order of its requests."""

    scenario: Scenario
    exchanges: tuple[Exchange, ...]
    run: RunFacts = RunFacts()


FollowUp = Callable[[Scenario, tuple[Exchange, ...]], ScenarioRequest | None]
"""A check's follow-up: the next request of a scenario given its exchanges so far, or None when done."""
