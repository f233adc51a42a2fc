"""The side-by-side view of ``conformance diff``: classes by counts, then each disagreeing case, both sides.

Read from the ``differences`` section of results.json (docs/results-format.md);
a results file without one (a plain run) has no such view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.report import _fields as f
from conformance.report.failures import ExchangeView, case_class, exchange_view
from conformance.report.summary import public_url

DETAILED_CASES = 200
"""Disagreeing cases shown with both sides; the rest are counted in the table only."""

SHOWN_NOISE = 300
"""Differences discounted as noise listed one by one; the rest are counted."""


@dataclass(frozen=True)
class ClassRow:
    """One class of difference and how many were counted, accepted and discounted as noise."""

    klass: str
    counted: int
    accepted: int
    noise: int
    allowed: bool


@dataclass(frozen=True)
class DisagreementRow:
    """One fact on which the two sides differ."""

    where: str
    klass: str
    fact: str
    target: str
    reference: str
    accepted: bool
    note: str


@dataclass(frozen=True)
class SidePair:
    """One request as the target and as the reference answered it."""

    heading: str
    target: ExchangeView | None
    reference: ExchangeView | None


@dataclass(frozen=True)
class DiffCard:
    """A case on which the sides disagree: the facts, then each request side by side."""

    anchor: str
    case_id: str
    case_class: str
    label: str
    rows: list[DisagreementRow]
    pairs: list[SidePair]

    @property
    def counted(self) -> bool:
        return any(not row.accepted for row in self.rows)


@dataclass(frozen=True)
class NoiseRow:
    """A difference discounted because the side asked twice disagreed with itself."""

    case_id: str
    where: str
    klass: str
    fact: str
    why: str


@dataclass(frozen=True)
class DifferencesView:
    """Everything the differences section shows."""

    reference: str
    noise_sample: str
    texts: str
    rows: list[ClassRow]
    counted: int
    cards: list[DiffCard]
    text_only: int
    noise: list[NoiseRow]
    noise_left_out: int


def _value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _where(entry: Mapping[str, Any]) -> str:
    index = f.integer(entry, "exchange")
    return "the case" if index is None else f"request {index + 1}"


def _reference(section: Mapping[str, Any]) -> str:
    reference = f.mapping(section, "reference")
    kind = f.text(reference, "kind")
    url = public_url(f.text(reference, "base_url", "unknown"))
    if kind == "capture":
        return f"the capture {f.text(reference, 'capture')} (recorded from {url})"
    return url + (" (embedded reference server)" if kind == "embedded" else "")


def build_differences(results: Mapping[str, Any]) -> DifferencesView | None:
    """The view of ``results['differences']``, or None when the results have none."""
    section = f.mapping(results, "differences")
    if not section:
        return None
    allowed = {str(a) for a in section.get("allowed") or () if isinstance(a, str)}
    counts = f.mapping(section, "counts")
    rows = [
        ClassRow(
            str(klass),
            f.integer(row, "counted") or 0,
            f.integer(row, "accepted") or 0,
            f.integer(row, "noise") or 0,
            klass in allowed,
        )
        for klass, row in counts.items()
        if isinstance(row, Mapping)
    ]
    by_case: dict[str, list[Mapping[str, Any]]] = {}
    for entry in f.items(section, "disagreements"):
        by_case.setdefault(f.text(entry, "case_id", "unknown case"), []).append(entry)
    cases = {f.text(case, "id"): case for case in f.items(results, "cases")}
    references = f.mapping(section, "reference_exchanges")
    cards: list[DiffCard] = []
    text_only = 0
    for case_id, entries in by_case.items():
        if all(f.text(e, "class") == "text" and f.flag(e, "accepted") for e in entries):
            text_only += 1  # texts differ, as sampling models' do: counted in the table, not shown
            continue
        if len(cards) >= DETAILED_CASES:
            continue
        case = cases.get(case_id, {})
        cards.append(
            DiffCard(
                anchor=f"diff-{len(cards)}",
                case_id=case_id,
                case_class=case_class(case) if case else "unknown",
                label=f.text(case, "label"),
                rows=[_row(e) for e in entries],
                pairs=_pairs(case, references.get(case_id), entries),
            )
        )
    noise = f.items(section, "noise")
    texts = f.mapping(section, "texts")
    return DifferencesView(
        reference=_reference(section),
        noise_sample=f.text(section, "noise_sample", "reference"),
        texts=f"{f.text(texts, 'same', '0')} of {f.text(texts, 'compared', '0')} generated texts the same",
        rows=rows,
        counted=sum(row.counted for row in rows),
        cards=cards,
        text_only=text_only,
        noise=[
            NoiseRow(
                f.text(e, "case_id"), _where(e), f.text(e, "class"), f.text(e, "fact"), f.text(e, "note")
            )
            for e in noise[:SHOWN_NOISE]
        ],
        noise_left_out=max(0, len(noise) - SHOWN_NOISE),
    )


def _row(entry: Mapping[str, Any]) -> DisagreementRow:
    return DisagreementRow(
        where=_where(entry),
        klass=f.text(entry, "class"),
        fact=f.text(entry, "fact"),
        target=_value(entry.get("target")),
        reference=_value(entry.get("reference")),
        accepted=f.flag(entry, "accepted"),
        note=f.text(entry, "note"),
    )


def _pairs(case: Mapping[str, Any], reference: Any, entries: list[Mapping[str, Any]]) -> list[SidePair]:
    """The requests the disagreements name (every request for a fact about the whole case)."""
    ours = f.items(case, "exchanges")
    theirs = [e for e in reference if isinstance(e, Mapping)] if isinstance(reference, list) else []
    named = [f.integer(e, "exchange") for e in entries]
    indexes = (
        range(max(len(ours), len(theirs))) if None in named else sorted({i for i in named if i is not None})
    )
    stream = f.flag(case, "stream")
    pairs = []
    for index in indexes:
        heading = (
            f"Request {index + 1} of {max(len(ours), len(theirs))}" if max(len(ours), len(theirs)) > 1 else ""
        )
        pairs.append(
            SidePair(
                heading,
                exchange_view(ours[index], "", stream=stream) if index < len(ours) else None,
                exchange_view(theirs[index], "", stream=stream) if index < len(theirs) else None,
            )
        )
    return pairs
