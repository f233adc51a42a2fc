"""What a run produces: per-case and per-check results and the run's verdict, as frozen values.

`conformance.runner.results_json` turns a `RunResult` into results.json
(docs/results-format.md); the JUnit and Markdown writers read the same value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from conformance.checks import Check, Scenario
from conformance.contract import SchemaVersion, default_schema_version
from conformance.generation import Case
from conformance.runner.differences import Differences
from conformance.runner.redaction import redact_exchange, redact_secrets
from conformance.transport import Exchange

CaseOutcome = Literal["passed", "failed", "error"]
CheckStatus = Literal["passed", "failed", "skipped", "error"]
Verdict = Literal["pass", "fail", "error"]

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_UNTESTABLE = 3


def now(seconds: float | None = None) -> str:
    """A time as results.json writes it (UTC, to the second): ``seconds`` since the epoch, or now.

    >>> now(0)
    '1970-01-01T00:00:00Z'
    """
    moment = datetime.now(UTC) if seconds is None else datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
    load: dict[str, Any] | None = None
    """A load test's figures and gates (``conformance load``), JSON-ready; None for every other run."""
    stopped: str | None = None
    """Why the run stopped sending before the end (a target that went silent); None when it did not."""
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Secrets still to take out of the values: `redacted` does. A run's own result comes redacted (empty)."""
    differences: Differences | None = None
    """Set by `conformance diff`: where the target disagrees with a reference."""
    schema: SchemaVersion = field(default_factory=default_schema_version)

    @property
    def failures(self) -> list[Failure]:
        return [f for c in self.checks for f in c.failures]

    @property
    def new_failures(self) -> list[Failure]:
        return [f for f in self.failures if not f.baselined]

    def redacted(self) -> RunResult:
        """This result with every secret taken out of its values (docs/runner.md, "The token").

        Every writer calls it first; on a result that holds no secret it returns the result itself.
        """
        if not any(self.secrets):
            return self
        secrets = self.secrets
        checks = tuple(
            replace(
                c,
                failures=tuple(redact_failure(f, secrets) for f in c.failures),
                skip_reason=None if c.skip_reason is None else redact_secrets(c.skip_reason, secrets),
            )
            for c in self.checks
        )
        return replace(
            self,
            reason=None if self.reason is None else redact_secrets(self.reason, secrets),
            checks=checks,
            cases=tuple(redact_case_result(c, secrets) for c in self.cases),
            differences=None if self.differences is None else redact_differences(self.differences, secrets),
            secrets=(),
        )


def redact_differences(found: Differences, secrets: Sequence[str]) -> Differences:
    """The reference's exchanges and every compared value with the secrets taken out."""

    def value(v: Any) -> Any:
        return redact_secrets(v, secrets) if isinstance(v, str) else v

    return replace(
        found,
        differences=tuple(
            replace(d, reference=value(d.reference), target=value(d.target), note=value(d.note))
            for d in found.differences
        ),
        reference_exchanges={
            case_id: tuple(redact_exchange(e, secrets) for e in exchanges)
            for case_id, exchanges in found.reference_exchanges.items()
        },
    )


def redact_failure(failure: Failure, secrets: Sequence[str]) -> Failure:
    """The failure with the secrets taken out of its message (which may quote what the target sent)."""
    return replace(failure, message=redact_secrets(failure.message, secrets))


def redact_case_result(result: CaseResult, secrets: Sequence[str]) -> CaseResult:
    """What the target sent and every message about it, with the secrets taken out; ids and statuses kept."""
    if not any(secrets):
        return result
    return replace(
        result,
        failures=tuple(redact_failure(f, secrets) for f in result.failures),
        skips=tuple(redact_failure(f, secrets) for f in result.skips),
        exchanges=tuple(redact_exchange(e, secrets) for e in result.exchanges),
        error=None if result.error is None else redact_secrets(result.error, secrets),
    )
