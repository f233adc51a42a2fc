"""What a side-by-side run found (``conformance diff``): the values every report writer reads.

The comparison itself lives in `conformance.diff`; the runner only carries its
findings on `RunResult.differences` so that results.json, junit.xml and
summary.md come from the same writers as for `run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.transport import Exchange

DIFFERENCE_CLASSES = ("status", "error_code", "branch", "fields", "framing", "usage", "determinism", "text")
"""Every class a disagreement falls in, in the order the reports list them."""

Standing = Literal["counted", "accepted", "noise"]
DIFFERENCE_STANDINGS: tuple[Standing, ...] = ("counted", "accepted", "noise")
"""Whether a difference fails the run (``counted``), is let through (``accepted``) or is ``noise``."""


@dataclass(frozen=True)
class Difference:
    """One fact on which the target and the reference disagree for one case.

    ``exchange`` is the index of the request within the case (a scenario has
    several), None for a fact about the case as a whole (whether it
    reproduces itself). ``note`` says why an accepted difference is accepted
    or why a noisy one is discounted.
    """

    case_id: str
    exchange: int | None
    klass: str
    fact: str
    reference: Any
    target: Any
    standing: Standing
    note: str = ""


@dataclass(frozen=True)
class Differences:
    """Everything a side-by-side run found, for the reports.

    ``reference`` says where the reference answers came from; ``noise_sample``
    which side was asked twice to learn what varies on its own (the reference
    when it is live, the target when the reference is a capture).
    """

    reference: dict[str, Any]
    noise_sample: Literal["reference", "target"]
    allowed: tuple[str, ...]
    strict_text: bool
    cases_compared: int
    texts_compared: int
    texts_same: int
    differences: tuple[Difference, ...]
    reference_exchanges: dict[str, tuple[Exchange, ...]] = field(default_factory=dict, repr=False)

    @property
    def counted(self) -> list[Difference]:
        """The differences that fail the run."""
        return [d for d in self.differences if d.standing == "counted"]

    def counts(self) -> dict[str, dict[Standing, int]]:
        """Per class, how many differences were counted, accepted and discounted as noise."""
        table = {klass: dict.fromkeys(DIFFERENCE_STANDINGS, 0) for klass in DIFFERENCE_CLASSES}
        for difference in self.differences:
            table.setdefault(difference.klass, dict.fromkeys(DIFFERENCE_STANDINGS, 0))
            table[difference.klass][difference.standing] += 1
        return table
