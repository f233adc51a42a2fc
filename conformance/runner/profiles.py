"""Profiles: how much of the catalogue a run sends.

``smoke``   every check and every boundary class at least once; a minute or less against a real model.
``standard``  the whole boundary and invalid catalogues and a few property-based draws (the default).
``full``    standard plus many property-based draws and more scenarios.
"""

from __future__ import annotations

from conformance.generation import Case, CaseKind
from conformance.runner.config import RunConfig

VALID_DRAWS = {"smoke": 2, "standard": 20, "full": 200}
SCENARIOS = {"smoke": 1, "standard": 2, "full": 5}


def scenario_count(profile: str) -> int:
    """How many scenarios each multi-request check gets."""
    return SCENARIOS[profile]


def cases_for(config: RunConfig) -> list[Case]:
    """The catalogue's cases for the run's profile and seed."""
    return _builtin_cases()


def _builtin_cases() -> list[Case]:
    # Stand-in until the generation catalogue lands.
    return [
        Case.build(CaseKind.BOUNDARY, "seed-max", "seed at its maximum", {"prompt": "x", "seed": 9999999999}),
        Case.build(CaseKind.BOUNDARY, "stream", "streamed", {"prompt": "x", "stream": True}),
        Case.build(
            CaseKind.INVALID,
            "temperature-maximum",
            "temperature above 5",
            {"prompt": "x", "temperature": 6},
            violates=("/temperature", "maximum"),
        ),
    ]
