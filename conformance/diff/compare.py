"""One case side by side: each fact of the reference's answer against the target's, the noise floor applied.

Facts are compared in the order of `FACT_CLASSES`; a differing gate (the
status, the output branch) ends the comparison of that exchange, so a 413
against a 200 is one status difference rather than five. A difference is
``counted`` unless the side asked twice disagreed with itself on that fact,
in which case it is ``noise`` and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.checks import Scenario
from conformance.checks.reading import rate_limited
from conformance.diff.facts import FACT_CLASSES, GATES, exchange_facts, item_facts
from conformance.diff.noise import noise_reason, shown
from conformance.generation import Case
from conformance.runner.differences import Difference
from conformance.transport import Exchange

Sample = Literal["reference", "target"]


@dataclass(frozen=True)
class Sides:
    """One case as each side answered it, and the two answers of the side asked twice."""

    item: Case | Scenario
    reference: tuple[Exchange, ...]
    target: tuple[Exchange, ...]
    first: tuple[Exchange, ...]
    second: tuple[Exchange, ...]


@dataclass(frozen=True)
class Compared:
    """The differences found in one case, and how many generated texts were compared and agreed."""

    differences: list[Difference]
    texts: int
    same_texts: int


def compare_case(sides: Sides, sample: Sample) -> Compared:
    """Every difference between the reference's and the target's answers to one case."""
    found: list[Difference] = []
    texts = same = 0
    case_id = sides.item.id
    for index, (reference, target) in enumerate(zip(sides.reference, sides.target, strict=False)):
        if rate_limited(reference) or rate_limited(target):
            continue  # out of capacity after the retries says nothing about behaviour
        ours, theirs = exchange_facts(target), exchange_facts(reference)
        first, second = _facts_at(sides.first, index), _facts_at(sides.second, index)
        if "text" in ours and "text" in theirs:
            texts += 1
            same += ours["text"] == theirs["text"]
        for fact in FACT_CLASSES:
            if fact not in ours or fact not in theirs or ours[fact] == theirs[fact]:
                continue
            why = noise_reason(sample, fact, first.get(fact), second.get(fact))
            found.append(_difference(case_id, index, fact, theirs[fact], ours[fact], why))
            if fact in GATES:
                break
    ours, theirs = item_facts(sides.item, sides.target), item_facts(sides.item, sides.reference)
    if theirs.get("reproduces") is True and ours.get("reproduces") is False:
        first = item_facts(sides.item, sides.first)
        second = item_facts(sides.item, sides.second)
        why = noise_reason(sample, "reproduces", first.get("reproduces"), second.get("reproduces"))
        found.append(_difference(case_id, None, "reproduces", True, False, why))
    return Compared(found, texts, same)


def _facts_at(exchanges: Sequence[Exchange], index: int) -> dict[str, object]:
    return exchange_facts(exchanges[index]) if index < len(exchanges) else {}


def _difference(
    case_id: str, index: int | None, fact: str, reference: object, target: object, why: str | None
) -> Difference:
    return Difference(
        case_id,
        index,
        FACT_CLASSES[fact],
        fact,
        shown(fact, reference),
        shown(fact, target),
        "noise" if why else "counted",
        why or (_status_classes(reference, target) if fact == "status" else ""),
    )


def _status_classes(reference: object, target: object) -> str:
    """The status classes of two differing statuses, said in words: ``2xx against 4xx``."""
    classes = [f"{s // 100}xx" if isinstance(s, int) else str(s) for s in (reference, target)]
    if classes[0] == classes[1]:
        return f"the same status class, {classes[0]}"
    return f"status class {classes[0]} against {classes[1]}"
