"""Failing cases, each with the checks it failed, its request, its response and a curl line.

Only failing cases are rendered in detail: a run of thousands of passing
cases must stay a small file that opens fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.report import _fields as f
from conformance.report.bodies import BodyView, Transcript, request_body, response_body, transcript
from conformance.report.curl import curl_command
from conformance.report.summary import duration

DETAILED_CASES = 300
"""Failing cases shown with request and response; the rest list their messages only."""

OPEN_CASES = 40
"""Failing cases whose exchanges start unfolded; later ones unfold on a click (and when printed)."""

CASE_ERROR = "(case error)"
"""The check name shown for a case that errored without any check failing."""


@dataclass(frozen=True)
class FailedCheck:
    """One failed check of a case and what it said."""

    check: str
    severity: str
    message: str
    baselined: bool


@dataclass(frozen=True)
class ExchangeView:
    """One request and what came back, ready to print."""

    heading: str
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: BodyView
    status: str
    response_headers: list[tuple[str, str]]
    response_body: BodyView | None
    stream: Transcript | None
    error: str
    timing: str
    curl: str


@dataclass(frozen=True)
class FailureCard:
    """A failing case: its failed checks and, when detailed, its exchanges."""

    anchor: str
    case_id: str
    case_class: str
    label: str
    outcome: str
    expect: str
    violates: str
    failed: list[FailedCheck]
    exchanges: list[ExchangeView] = field(default_factory=list)
    detailed: bool = True
    unfolded: bool = True

    @property
    def checks(self) -> str:
        """The failed check ids, space separated, for the filter script."""
        return " ".join(sorted({failure.check for failure in self.failed}))

    @property
    def baselined_only(self) -> bool:
        """Whether every failure of this case is accepted in the baseline."""
        return all(failure.baselined for failure in self.failed)


@dataclass(frozen=True)
class BaselineEntry:
    """A baseline entry: accepted and still failing, or fixed and ready to drop."""

    check: str
    case_id: str
    message: str
    anchor: str


@dataclass(frozen=True)
class Failures:
    """Failing cases split into new failures and those the baseline accepts."""

    new: list[FailureCard]
    baselined: list[FailureCard]
    accepted: list[BaselineEntry]
    fixed: list[BaselineEntry]
    new_count: int
    baselined_count: int
    summarised: int  # failing cases listed without their exchanges
    has_baseline: bool


def case_class(case: Mapping[str, Any]) -> str:
    """The case's class; derived from kind and stream flag where an older runner left it out."""
    given = f.text(case, "class")
    if given:
        return given
    return "streaming" if f.flag(case, "stream") else f.text(case, "kind", "unknown")


def _headers(value: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(name), str(item)) for name, item in value.items()]


def _timing(timing: Mapping[str, Any]) -> str:
    parts = []
    for key, label in (("total_s", "total"), ("ttfb_s", "first byte"), ("ttfe_s", "first event")):
        seconds = f.number(timing, key)
        if seconds is not None:
            parts.append(f"{label} {duration(seconds)}")
    return ", ".join(parts)


def exchange_view(exchange: Mapping[str, Any], heading: str, *, stream: bool) -> ExchangeView:
    """An exchange from results.json as the report prints it."""
    request = f.mapping(exchange, "request")
    response = f.mapping(exchange, "response")
    recorded_stream = f.mapping(response, "stream")
    status = f.text(response, "status")
    content_type = f.text(response, "content_type")
    retries = f.integer(exchange, "retries") or 0
    timing = _timing(f.mapping(exchange, "timing"))
    if retries:
        timing += f"{', ' if timing else ''}{retries} retr{'y' if retries == 1 else 'ies'}"
    return ExchangeView(
        heading=heading,
        method=f.text(request, "method", "POST"),
        url=f.text(request, "url"),
        request_headers=_headers(f.mapping(request, "headers")),
        request_body=request_body(request),
        status=(status + (f" · {content_type}" if content_type else "")) if response else "",
        response_headers=_headers(f.mapping(response, "headers")),
        response_body=None if recorded_stream or not response else response_body(response),
        stream=transcript(recorded_stream) if recorded_stream else None,
        error=f.text(exchange, "error"),
        timing=timing,
        curl=curl_command(request, stream=stream or bool(recorded_stream)) if request else "",
    )


def collect_failures(results: Mapping[str, Any]) -> Failures:
    """Every failing case of a results dict, in run order, new failures apart from baselined ones."""
    severities = {f.text(check, "id"): f.text(check, "severity") for check in f.items(results, "checks")}
    by_case: dict[str, list[FailedCheck]] = {}
    for check in f.items(results, "checks"):
        check_id = f.text(check, "id", "unnamed check")
        for failure in f.items(check, "failures"):
            case_id = f.text(failure, "case_id", "unknown case")
            by_case.setdefault(case_id, []).append(
                FailedCheck(
                    check_id,
                    severities.get(check_id, ""),
                    f.text(failure, "message"),
                    f.flag(failure, "baselined"),
                )
            )

    cases = {f.text(case, "id"): case for case in f.items(results, "cases")}
    for case_id, case in cases.items():
        if f.text(case, "outcome") == "error" and case_id not in by_case:
            errors = [f.text(ex, "error") for ex in f.items(case, "exchanges") if f.text(ex, "error")]
            message = "\n".join(errors) or "The case could not be run to the end."
            by_case[case_id] = [FailedCheck(CASE_ERROR, "", message, False)]

    # Run order first; failures naming cases the results do not list come last.
    order = [case_id for case_id in cases if case_id in by_case]
    order += [case_id for case_id in by_case if case_id not in cases]
    new: list[FailureCard] = []
    baselined: list[FailureCard] = []
    summarised = 0
    for number, case_id in enumerate(order):
        failed = by_case[case_id]
        case = cases.get(case_id, {})
        only_baselined = all(failure.baselined for failure in failed)
        position = len(baselined) if only_baselined else len(new)
        detailed = position < DETAILED_CASES
        summarised += not detailed
        violates = f.mapping(case, "violates")
        card = FailureCard(
            anchor=f"case-{number}",
            case_id=case_id,
            case_class=case_class(case) if case else "unknown",
            label=f.text(case, "label"),
            outcome=f.text(case, "outcome"),
            expect=f.text(case, "expect"),
            violates=(
                f"{f.text(violates, 'keyword')} at {f.text(violates, 'pointer') or '/'}" if violates else ""
            ),
            failed=failed,
            exchanges=_exchanges(case) if detailed else [],
            detailed=detailed,
            unfolded=position < OPEN_CASES and not only_baselined,
        )
        (baselined if only_baselined else new).append(card)

    anchors = {card.case_id: card.anchor for card in new + baselined}
    messages = {
        (failure.check, case_id): failure.message for case_id, fs in by_case.items() for failure in fs
    }
    baseline = f.mapping(results, "baseline")
    accepted = [
        BaselineEntry(
            f.text(entry, "check"),
            f.text(entry, "case_id"),
            messages.get((f.text(entry, "check"), f.text(entry, "case_id")), ""),
            anchors.get(f.text(entry, "case_id"), ""),
        )
        for entry in f.items(baseline, "accepted")
    ]
    fixed = [
        BaselineEntry(f.text(entry, "check"), f.text(entry, "case_id"), "", "")
        for entry in f.items(baseline, "fixed")
    ]
    all_failed = [failure for fs in by_case.values() for failure in fs if failure.check != CASE_ERROR]
    return Failures(
        new=new,
        baselined=baselined,
        accepted=accepted,
        fixed=fixed,
        new_count=sum(not failure.baselined for failure in all_failed),
        baselined_count=sum(failure.baselined for failure in all_failed),
        summarised=summarised,
        has_baseline=bool(baseline) or any(failure.baselined for failure in all_failed),
    )


def _exchanges(case: Mapping[str, Any]) -> list[ExchangeView]:
    exchanges = f.items(case, "exchanges")
    stream = f.flag(case, "stream")
    if len(exchanges) == 1:
        return [exchange_view(exchanges[0], "", stream=stream)]
    return [
        exchange_view(exchange, f"Exchange {n} of {len(exchanges)}", stream=stream)
        for n, exchange in enumerate(exchanges, 1)
    ]
