"""The catalogue as a whole: deterministic, unique ids, both back-ends agree on every case."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.contract import request_validator, schema_version
from conformance.errors import UsageError
from conformance.generation import CaseKind, body_digest, catalogue, valid_cases

SNAPSHOT = Path(__file__).parent / "snapshots" / "catalogue.txt"
UPDATE = "CONFORMANCE_UPDATE_SNAPSHOTS"


def test_valid_cases_are_deterministic_for_a_seed() -> None:
    first = valid_cases(40, seed=3, cache=False)
    assert [case.id for case in valid_cases(40, seed=3, cache=False)] == [case.id for case in first]
    assert [case.id for case in valid_cases(40, seed=4, cache=False)] != [case.id for case in first]


def test_valid_ids_are_body_digests() -> None:
    cases = valid_cases(30, seed=0)
    assert len(cases) == 30
    assert len({case.id for case in cases}) == 30
    for case in cases:
        assert case.id == f"valid/{body_digest(case.body)}"
        assert case.kind is CaseKind.VALID and case.tags[0] in ("prompt", "messages")


def test_count_zero_and_negative() -> None:
    assert valid_cases(0) == []
    with pytest.raises(UsageError, match="count=-1"):
        valid_cases(-1)


def test_catalogue_orders_kinds_and_rejects_unknown_ones() -> None:
    cases = catalogue(count=5)
    kinds = [case.kind for case in cases]
    assert kinds == sorted(kinds, key=[CaseKind.VALID, CaseKind.BOUNDARY, CaseKind.INVALID].index)
    assert set(kinds) == set(CaseKind)
    assert {case.kind for case in catalogue(["invalid"])} == {CaseKind.INVALID}
    with pytest.raises(UsageError, match="kind='bogus' is not one of valid, boundary, invalid"):
        catalogue(["bogus"])


def test_both_back_ends_agree_on_the_whole_catalogue() -> None:
    validator = request_validator()
    for case in catalogue(count=100, seed=0):
        fast, reference = validator.is_valid(case.body), validator.is_valid_reference(case.body)
        assert fast == reference, case.id
        assert fast == (case.kind is not CaseKind.INVALID), case.id


def test_ids_are_unique_across_kinds() -> None:
    ids = [case.id for case in catalogue(count=50)]
    assert len(ids) == len(set(ids))


def test_built_ids_and_labels_match_the_snapshot() -> None:
    """Boundary and invalid ids are stable. Drawn valid ids depend on the Hypothesis
    version (they are digests of what it draws), so they are not snapshotted.

    After an intended change run ``CONFORMANCE_UPDATE_SNAPSHOTS=1 pytest`` and review the diff.
    """
    lines = [f"{case.id}\t{case.label}" for case in catalogue(["boundary", "invalid"])]
    current = "\n".join(lines) + "\n"
    if os.environ.get(UPDATE):
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == current, f"catalogue changed; set {UPDATE}=1 to accept"


def test_both_back_ends_agree_on_the_whole_catalogue_of_the_later_version() -> None:
    later = schema_version("docs-2025-01")
    validator = later.request_validator()
    for case in catalogue(count=50, seed=0, schema="docs-2025-01"):
        fast, reference = validator.is_valid(case.body), validator.is_valid_reference(case.body)
        assert fast == reference == (case.kind is not CaseKind.INVALID), case.id
