"""The matrix of checks by case class, each cell coloured by the worst outcome in it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.report import _fields as f
from conformance.report.bodies import count
from conformance.report.failures import Failures, case_class

CLASSES = ("valid", "boundary", "invalid", "streaming", "scenario")
"""The case classes of results format 1, in the order the matrix shows them."""


@dataclass(frozen=True)
class Cell:
    """One check over the cases of one class."""

    state: str  # "fail" | "error" | "baselined" | "pass" | "skip" | "none"
    text: str
    title: str
    href: str = ""


@dataclass(frozen=True)
class Row:
    """One check across every class."""

    check: str
    severity: str
    description: str
    clause: str
    status: str
    note: str
    cells: list[Cell]


@dataclass(frozen=True)
class Matrix:
    """Checks by case class, and how many cases each class held."""

    classes: list[str]
    class_sizes: list[int]
    rows: list[Row]


def build_matrix(results: Mapping[str, Any], failures: Failures) -> Matrix:
    """Count each check's outcomes per case class and link each failing cell to its first failure."""
    cases = f.items(results, "cases")
    sizes = Counter(case_class(case) for case in cases)
    classes = list(CLASSES) + sorted(set(sizes) - set(CLASSES))
    outcomes: dict[tuple[str, str], Counter[str]] = {}
    for case in cases:
        klass = case_class(case)
        for check_id, status in f.mapping(case, "checks").items():
            outcomes.setdefault((str(check_id), klass), Counter())[str(status)] += 1

    # Failures are counted from the failure list: it says which are baselined.
    failing: dict[tuple[str, str], Counter[str]] = {}
    for card in failures.new + failures.baselined:
        for failure in card.failed:
            key = (failure.check, card.case_class)
            failing.setdefault(key, Counter())["baselined" if failure.baselined else "new"] += 1
    # A cell links to its first new failure, or its first baselined one where it has no new one.
    first: dict[tuple[str, str], str] = {}
    for card in failures.new:
        for failure in card.failed:
            if not failure.baselined:
                first.setdefault((failure.check, card.case_class), card.anchor)
    for card in failures.new + failures.baselined:
        for failure in card.failed:
            first.setdefault((failure.check, card.case_class), card.anchor)
    # Errored cells link to the first card of a case on which the check errored.
    anchors = {card.case_id: card.anchor for card in failures.new + failures.baselined}
    for case in cases:
        anchor = anchors.get(f.text(case, "id"))
        if anchor:
            for check_id, status in f.mapping(case, "checks").items():
                if status == "error":
                    first.setdefault((str(check_id), case_class(case)), anchor)

    rows = []
    for check in f.items(results, "checks"):
        check_id = f.text(check, "id", "unnamed check")
        cells = [
            _cell(
                check_id,
                klass,
                outcomes.get((check_id, klass), Counter()),
                failing.get((check_id, klass), Counter()),
                first.get((check_id, klass), ""),
            )
            for klass in classes
        ]
        status = f.text(check, "status")
        note = f.text(check, "skip_reason") if status == "skipped" else ""
        rows.append(
            Row(
                check_id,
                f.text(check, "severity"),
                f.text(check, "description"),
                f.text(check, "clause"),
                status,
                note,
                cells,
            )
        )
    return Matrix(classes, [sizes.get(klass, 0) for klass in classes], rows)


def _cell(check: str, klass: str, outcomes: Counter[str], failing: Counter[str], href: str) -> Cell:
    new, baselined = failing["new"], failing["baselined"]
    passed, skipped, errors = outcomes["passed"], outcomes["skipped"], outcomes["error"]
    checked = passed + errors + max(outcomes["failed"], new + baselined)
    where = f"{check} on {klass} cases"
    if new:
        extra = f", {count(baselined)} baselined" if baselined else ""
        return Cell(
            "fail", f"{count(new)} ✗", f"{where}: {count(new)} new failures of {count(checked)}{extra}", href
        )
    if errors:
        return Cell(
            "error", f"{count(errors)} !", f"{where}: {count(errors)} errors of {count(checked)}", href
        )
    if baselined:
        return Cell(
            "baselined",
            f"{count(baselined)} ≈",
            f"{where}: {count(baselined)} failures, all accepted in the baseline",
            href,
        )
    if passed:
        return Cell("pass", count(passed), f"{where}: passed on all {count(passed)}")
    if skipped:
        return Cell("skip", "skip", f"{where}: skipped on {count(skipped)}")
    return Cell("none", "", f"{where}: not checked")
