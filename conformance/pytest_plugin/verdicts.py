"""One judged case as a pytest outcome: failed, passed with warnings, or an expected (baselined) failure.

A failure names each failing check with its severity and the contract's
Received / Expected / Where lines; a ``should`` failure is a
`ShouldFailureWarning` unless the run is strict; a failure the baseline
accepts raises `BaselinedFailure`, which the item's strict xfail expects.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

from conformance.generation import Case
from conformance.generation.cases import body_line
from conformance.runner import CaseResult, Failure

BaselineReasons = Mapping[tuple[str, str], str]


class ShouldFailureWarning(UserWarning):
    """A ``should`` check failed: reported, but the item passes unless ``--conformance-strict``."""


class ConformanceFailure(AssertionError):
    """A case or scenario broke the contract; the message is the whole report of it."""


class BaselinedFailure(ConformanceFailure):
    """Every failure of the case is accepted by the baseline: the item's strict xfail expects this."""


def raise_for(result: CaseResult, *, strict: bool, baseline: BaselineReasons) -> None:
    """Raise or warn as the judged ``result`` deserves; return quietly when it conforms."""
    __tracebackhide__ = True
    if result.outcome == "error" and result.error is not None:
        raise ConformanceFailure(_header(result) + f"\nCould not be judged: {result.error}")
    accepted = [f for f in result.failures if (f.check_id, f.case_id) in baseline]
    new = [f for f in result.failures if (f.check_id, f.case_id) not in baseline]
    blocking = [f for f in new if f.severity == "must" or strict or result.checks.get(f.check_id) == "error"]
    if blocking:
        raise ConformanceFailure(failure_text(result, blocking, accepted))
    for failure in new:
        warnings.warn(ShouldFailureWarning(failure_text(result, [failure], [])), stacklevel=1)
    if accepted:
        raise BaselinedFailure(failure_text(result, accepted, []))


def failure_text(result: CaseResult, failures: Iterable[Failure], accepted: Iterable[Failure]) -> str:
    """The case, what it sent and got, then each failing check and its message."""
    lines = [_header(result)]
    for failure in failures:
        lines.append(f"\n{failure.check_id} ({failure.severity}) {_status(result, failure)}:")
        lines.extend("    " + line for line in failure.message.splitlines())
    for failure in accepted:
        lines.append(f"\n{failure.check_id} ({failure.severity}) failed, accepted by the baseline")
    return "\n".join(lines)


def baseline_reason(item_id: str, baseline: BaselineReasons) -> str | None:
    """The xfail reason for an item with baseline entries, or None when it has none."""
    entries = sorted((check, message) for (check, case_id), message in baseline.items() if case_id == item_id)
    if not entries:
        return None
    return "baseline: " + "; ".join(f"{check}: {message}" if message else check for check, message in entries)


def _status(result: CaseResult, failure: Failure) -> str:
    return "could not finish" if result.checks.get(failure.check_id) == "error" else "failed"


def _header(result: CaseResult) -> str:
    item = result.item
    label = item.label if isinstance(item, Case) else f"{item.label} (scenario judged by {item.check})"
    lines = [f"{result.id}: {label}"]
    for exchange in result.exchanges:
        answer = str(exchange.status) if exchange.status is not None else f"no response ({exchange.error})"
        lines.append(f"sent {body_line(exchange.request_body, 100)}, got {answer}")
    return "\n".join(lines)
