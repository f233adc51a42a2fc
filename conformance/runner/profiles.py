"""Profiles: how much of the catalogue a run sends.

``smoke``     one boundary case of every class (streaming per branch and with tools and functions,
              each awkward text), one invalid case per violated keyword, two drawn valid cases,
              one scenario per multi-request check: every check and every boundary class at
              least once, in about a minute against a real model.
``standard``  every boundary and invalid case and 20 drawn valid cases (the default).
``full``      standard with 200 drawn valid cases and more scenarios.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from conformance.generation import Case, boundary_cases, invalid_cases, valid_cases
from conformance.runner.config import RunConfig

VALID_DRAWS = {"smoke": 2, "standard": 20, "full": 200}
SCENARIOS = {"smoke": 1, "standard": 2, "full": 5}

_CLASS_PREFIXES = (
    "max_tokens",
    "role",
    "tools",
    "functions",
    "image",
)


def scenario_count(profile: str) -> int:
    """How many scenarios each multi-request check gets."""
    return SCENARIOS[profile]


def cases_for(config: RunConfig) -> list[Case]:
    """The catalogue's cases for the run's profile; drawn valid cases follow the run's seed.

    They come from the catalogue cache when it holds the seed's draw, unless the run says ``no_cache``.
    """
    boundary, invalid = boundary_cases(config.schema), invalid_cases(config.schema)
    if config.profile == "smoke":
        boundary = _first_of_each(boundary, boundary_class)
        invalid = _first_of_each(invalid, lambda case: case.violates[1] if case.violates else "")
    count, cache = VALID_DRAWS[config.profile], not config.no_cache
    return valid_cases(count, config.run_seed, config.schema, cache=cache) + boundary + invalid


def boundary_class(case: Case) -> str:
    """The edge a boundary case stands for, the same in both branches: ``stream``, ``numeric maximum``...

    >>> from conformance.generation import CaseKind
    >>> boundary_class(Case.build(CaseKind.BOUNDARY, "messages-seed-max", "", {"messages": []}))
    'numeric maximum'
    """
    body = case.body if isinstance(case.body, dict) else {}
    if case.stream:
        # Servers special-case streaming per branch and per option: each pairing is a class.
        for option in ("tools", "functions"):
            if option in body:
                return f"stream with {option}"
        return "stream, Messages branch" if "messages" in body else "stream"
    name = case.id.removeprefix(f"{case.kind}/").removeprefix("messages-")
    if name.startswith("unicode-"):
        return f"unicode {name.removeprefix('unicode-')}"  # each awkward text breaks parsers its own way
    if name.startswith(("prompt-length", "content-length")):
        return "length at its maximum" if "-max" in name else "length at its minimum"
    name = name.removeprefix("prompt-")
    for prefix in _CLASS_PREFIXES:
        if name.startswith(prefix):
            return prefix
    if name.endswith("integral-float"):
        return "integral float"
    bound = re.search(r"-(min|max)$", name)
    if bound:
        return f"numeric {bound.group(1)}imum"
    return name


def _first_of_each(cases: list[Case], key: Callable[[Case], str]) -> list[Case]:
    seen: set[str] = set()
    chosen = []
    for case in cases:
        group = key(case)
        if group not in seen:
            seen.add(group)
            chosen.append(case)
    return chosen
