"""The whole case catalogue: drawn valid cases plus the built boundary and invalid ones.

Drawn cases are deterministic for a given seed and installed Hypothesis
version: the strategy runs under ``@seed`` with no example database and the
generate phase only, so nothing learnt in one run changes the next. What a
seed drew is kept in the catalogue cache (`conformance.generation.cache`), so
a rerun reads it back without importing Hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance.contract import SchemaVersion, schema_version
from conformance.errors import UsageError
from conformance.generation import cache as drawn
from conformance.generation._local_constants import without_local_constants
from conformance.generation.boundary import boundary_cases
from conformance.generation.cases import Case, CaseKind, body_digest, body_tags
from conformance.generation.invalid import invalid_cases

DEFAULT_COUNT = 50
"""Drawn valid cases in a catalogue unless asked otherwise."""

DEFAULT_SEED = 0

ALL_KINDS = (CaseKind.VALID, CaseKind.BOUNDARY, CaseKind.INVALID)


def valid_cases(
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    schema: SchemaVersion | str | None = None,
    *,
    cache: bool = True,
) -> list[Case]:
    """``count`` distinct drawn valid cases, the same list for the same ``seed`` and schema version.

    Ids are ``valid/<body_digest>``, so a case keeps its id whichever seed
    drew it. Fewer than ``count`` come back only if Hypothesis keeps drawing
    bodies already seen (it never has in practice). The list is read from the
    catalogue cache when it holds it and stored there when drawn;
    ``cache=False`` neither reads nor writes it.

    >>> [case.id for case in valid_cases(2, seed=0)] == [case.id for case in valid_cases(2, seed=0)]
    True
    """
    if count < 0:
        raise UsageError(f"count={count!r} is negative; ask for 0 or more valid cases")
    if count == 0:
        return []
    version = schema_version(schema)
    entry = drawn.entry_path(seed, count, version) if cache else None
    bodies = drawn.load(entry, count) if entry is not None else None
    if bodies is None:
        bodies = _draw(count, seed, version)
        if entry is not None and len(bodies) == count:
            drawn.store(entry, bodies)
    return [_valid_case(digest, body) for digest, body in bodies.items()]


class _Drawn(Exception):
    """Raised from the test function once ``count`` distinct bodies are in: stops Hypothesis early."""


def _draw(count: int, seed: int, version: SchemaVersion) -> dict[str, Any]:
    # Imported here: a catalogue read from the cache needs none of Hypothesis.
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from conformance.generation.strategies import valid_requests

    bodies: dict[str, Any] = {}

    # Hypothesis's generation depends on max_examples (it sizes the early,
    # small examples from it), so the budget stays what it always was, twice
    # the count, though drawing stops once ``count`` bodies are in: the same
    # seed gives the same bodies in the same order, in a fraction of the time.
    @hypothesis_seed(seed)
    @settings(
        database=None,
        phases=[Phase.generate],
        max_examples=2 * count + 10,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(valid_requests(version))
    def collect(body: dict[str, Any]) -> None:
        if len(bodies) < count:
            bodies.setdefault(body_digest(body), body)
        if len(bodies) == count:
            # Hypothesis takes this for a failure, stops generating and runs
            # the same body once more to report it: it finds the dict full and
            # raises again, so the replay adds nothing.
            raise _Drawn

    try:
        with without_local_constants():
            collect()
    except _Drawn:
        pass
    return bodies


def _valid_case(digest: str, body: dict[str, Any]) -> Case:
    tags = body_tags(body)
    options = sorted(key for key in body if key not in ("prompt", "messages"))
    label = f"drawn {tags[0].capitalize()} body" + (f" with {', '.join(options)}" if options else "")
    return Case.build(CaseKind.VALID, digest, label, body, tags=tags)


def catalogue(
    kinds: Iterable[CaseKind | str] = ALL_KINDS,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    schema: SchemaVersion | str | None = None,
    *,
    cache: bool = True,
) -> list[Case]:
    """The cases of the named kinds, valid first, then boundary, then invalid.

    ``count``, ``seed`` and ``cache`` apply to the drawn valid cases (see
    `valid_cases`); the built kinds are fixed. ``schema`` names the schema
    version they follow (the page's by default).

    >>> [case.id for case in catalogue(["boundary"])][:1]
    ['boundary/prompt-minimal']
    """
    wanted = {_kind(kind) for kind in kinds}
    version = schema_version(schema)
    cases: list[Case] = []
    if CaseKind.VALID in wanted:
        cases.extend(valid_cases(count, seed, version, cache=cache))
    if CaseKind.BOUNDARY in wanted:
        cases.extend(boundary_cases(version))
    if CaseKind.INVALID in wanted:
        cases.extend(invalid_cases(version))
    return cases


def _kind(kind: CaseKind | str) -> CaseKind:
    try:
        return CaseKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in CaseKind)
        raise UsageError(f"kind={kind!r} is not one of {names}") from None
