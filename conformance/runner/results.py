"""What a run produces: per-case and per-check results and the run's verdict, as frozen values.

`conformance.runner.results_json` turns a `RunResult` into results.json
(docs/results-format.md); the JUnit and Markdown writers read the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.checks import Check, Scenario
from conformance.generation import Case
from conformance.transport import REDACTED, Exchange

CaseOutcome = Literal["passed", "failed", "error"]
CheckStatus = Literal["passed", "failed", "skipped", "error"]
Verdict = Literal["pass", "fail", "error"]

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_UNTESTABLE = 3


@dataclass(frozen=True)
class Failure:
    """One check failing on one case or scenario."""

    check_id: str
    case_id: str
    message: str
    severity: str
    baselined: bool = False


@dataclass(frozen=True)
class CaseResult:
    """A case or scenario, what it sent and received, and each applicable check's status."""

    item: Case | Scenario
    outcome: CaseOutcome
    checks: dict[str, CheckStatus]
    failures: tuple[Failure, ...]
    exchanges: tuple[Exchange, ...]
    error: str | None = None
    skips: tuple[Failure, ...] = ()
    """Checks that could not judge this case, each with its reason (the message)."""

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def kind(self) -> str:
        return str(self.item.kind)

    @property
    def case_class(self) -> str:
        """The report's class: the kind, except that streamed valid and boundary cases are "streaming"."""
        if isinstance(self.item, Case) and self.item.stream and self.kind in ("valid", "boundary"):
            return "streaming"
        return self.kind


@dataclass(frozen=True)
class CheckResult:
    """A check over the whole run."""

    check: Check
    status: CheckStatus
    cases_checked: int
    failures: tuple[Failure, ...]
    skip_reason: str | None = None


@dataclass(frozen=True)
class BaselineReport:
    """How the run compares with the accepted failures of a baseline file."""

    path: str
    accepted: tuple[tuple[str, str], ...]
    fixed: tuple[tuple[str, str], ...]
    updated: bool = False


@dataclass(frozen=True)
class RunResult:
    """The verdict and everything the reports are built from.

    ``exit_code`` is what the CLI exits with: 0 pass, 1 fail, 3 untestable.
    ``stopped`` says why the run stopped sending before the end (its target
    stopped answering); such a run fails.
    """

    verdict: Verdict
    exit_code: int
    reason: str | None
    target: dict[str, Any]
    profile: str
    seed: int
    strict: bool
    started_at: str
    finished_at: str
    duration_s: float
    counts: dict[str, int]
    checks: tuple[CheckResult, ...]
    cases: tuple[CaseResult, ...]
    baseline: BaselineReport | None = None
    stopped: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def failures(self) -> list[Failure]:
        return [f for c in self.checks for f in c.failures]

    @property
    def new_failures(self) -> list[Failure]:
        return [f for f in self.failures if not f.baselined]

    def redact(self, text: str) -> str:
        """``text`` with every secret of the run replaced by ``[REDACTED]``."""
        return redact_secrets(text, self.secrets)


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``.

    Every writer of a run's output goes through this, so one rule decides what
    is scrubbed; an empty secret is skipped (replacing "" would pad every
    character).

    >>> redact_secrets("Bearer s3cret", ["s3cret"])
    'Bearer [REDACTED]'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
