"""The check registry: named, documented properties, registered with a decorator.

A check is a function of one finished observation (a single exchange or a
scenario's exchanges) that returns None when the property holds and raises
`CheckFailure` when it does not::

    @check(id="response_is_short", severity="should",
           description="Responses are under 1000 characters.", clause="ours")
    def response_is_short(observation: Observation) -> None:
        if len(observation.exchange.body) > 1000:
            raise CheckFailure(received=f"{len(observation.exchange.body)} bytes",
                               expected="at most 1000 bytes")

A check that needs several requests names a ``plan``: a function that returns
the scenarios to send (see `conformance.checks.subjects.Scenario`), and may
name a ``follow_up`` that picks more requests from the answers so far.

Two flags tell the runner what it cannot learn from the check's id:
``judges_refusals`` (the check still judges a documented refusal, a 429 kept
after the retries, on which every other check is left out) and
``fails_auth_on_purpose`` (every request its scenarios send lacks a valid
token, so their 401s and 403s say nothing about the run's token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from conformance.errors import UsageError

Severity = Literal["must", "should"]
SEVERITIES: tuple[Severity, ...] = ("must", "should")


class CheckFailure(Exception):
    """The property does not hold: what was received, what the contract requires, and where.

    >>> str(CheckFailure(received="500", expected="a 4xx status", where="/temperature"))
    'Received: 500\\nExpected: a 4xx status\\nWhere: /temperature'
    """

    def __init__(self, *, received: str, expected: str, where: str | None = None) -> None:
        self.received = received
        self.expected = expected
        self.where = where
        lines = [f"Received: {received}", f"Expected: {expected}"]
        if where:
            lines.append(f"Where: {where}")
        super().__init__("\n".join(lines))


class CheckSkipped(Exception):
    """The check cannot be judged in this run; the reason is reported (e.g. the run has no token)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotApplicable(Exception):
    """The check says nothing about this observation (a JSON check on a streamed response)."""


@dataclass(frozen=True)
class Check:
    """A registered check: its function, the facts a report prints about it, and how the runner treats it."""

    id: str
    severity: Severity
    description: str
    clause: str
    function: Callable[[Any], None]
    plan: Callable[[Any], list[Any]] | None = None
    follow_up: Callable[[Any, tuple[Any, ...]], Any] | None = None
    judges_refusals: bool = False
    """Judged on a documented refusal too (a 429 kept after the retries); every other check is not."""
    fails_auth_on_purpose: bool = False
    """Its scenarios send no valid token: their 401s and 403s do not make a run untestable."""

    @property
    def is_scenario(self) -> bool:
        """Whether the check judges a multi-request scenario rather than one exchange."""
        return self.plan is not None

    def __call__(self, subject: Any) -> None:
        self.function(subject)


class CheckRegistry:
    """Checks by id, in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, item: Check) -> Check:
        if item.severity not in SEVERITIES:
            raise UsageError(f"severity={item.severity!r} of check {item.id!r} is not one of must, should")
        if item.id in self._checks and self._checks[item.id].function is not item.function:
            raise UsageError(f"a check named {item.id!r} is already registered")
        self._checks[item.id] = item
        return item

    def unregister(self, check_id: str) -> None:
        self._checks.pop(check_id, None)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __getitem__(self, check_id: str) -> Check:
        return self._checks[check_id]

    def all(self) -> list[Check]:
        return list(self._checks.values())

    def select(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Check]:
        """The checks to run: ``include`` (all when empty) minus ``exclude``; unknown names are usage errors.

        >>> [c.id for c in registry.select(["auth_enforced"])]
        ['auth_enforced']
        """
        include, exclude = list(include), list(exclude)
        for option, names in (("check", include), ("exclude_check", exclude)):
            for name in names:
                if name not in self._checks:
                    known = ", ".join(self._checks)
                    raise UsageError(
                        f"is not a registered check; known checks: {known}", field=option, value=name
                    )
        chosen = [c for c in self._checks.values() if not include or c.id in include]
        return [c for c in chosen if c.id not in exclude]


registry = CheckRegistry()
"""The default registry: built-in checks and every check registered with `check`."""


def check(
    *,
    id: str,
    severity: Severity,
    description: str,
    clause: str,
    plan: Callable[[Any], list[Any]] | None = None,
    follow_up: Callable[[Any, tuple[Any, ...]], Any] | None = None,
    judges_refusals: bool = False,
    fails_auth_on_purpose: bool = False,
    into: CheckRegistry | None = None,
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a check on the default registry (or ``into``); the function is returned unchanged.

    ``judges_refusals`` and ``fails_auth_on_purpose`` are the `Check` fields
    of the same names (docs/runner.md, "Your own checks").

    >>> @check(id="never_empty", severity="should", description="Bodies are not empty.", clause="ours")
    ... def never_empty(observation): ...
    >>> registry.unregister("never_empty")
    """

    def decorate(function: Callable[[Any], None]) -> Callable[[Any], None]:
        (into or registry).register(
            Check(
                id,
                severity,
                description,
                clause,
                function,
                plan,
                follow_up,
                judges_refusals=judges_refusals,
                fails_auth_on_purpose=fails_auth_on_purpose,
            )
        )
        return function

    return decorate
