"""The refusal policy agrees with the contract's error table, and never lets a 400 through."""

from __future__ import annotations

import pytest

from conformance.contract import REFUSALS, ErrorCode, documented_refusal, refusals_for


def test_every_documented_refusal_carries_codes_the_error_table_gives_its_status() -> None:
    # 10000 is sent with 401 by the table and with 403 in the wild (CONTRACT.md).
    seen_with = {ErrorCode.AUTHENTICATION: {401, 403}}
    for refusal in REFUSALS:
        for code in map(ErrorCode, refusal.codes):
            assert refusal.status in seen_with.get(code, {code.status}), refusal


@pytest.mark.parametrize("tags", [(), ("prompt",), ("prompt", "large"), ("prompt", "lora", "large")])
def test_a_400_is_never_a_documented_refusal_of_a_valid_body(tags: tuple[str, ...]) -> None:
    assert documented_refusal(400, tags) is None


@pytest.mark.parametrize(
    ("status", "tags", "reason"),
    [
        (413, ("prompt", "large"), "request too large"),
        (413, ("prompt",), None),
        (405, ("prompt", "lora"), "LoRA unsupported"),
        (405, ("messages",), None),
        (429, ("prompt",), "out of capacity"),
        (401, (), "authentication"),
        (403, (), "authentication"),
        (404, ("prompt", "large"), None),
    ],
)
def test_documented_refusals_by_status_and_tag(
    status: int, tags: tuple[str, ...], reason: str | None
) -> None:
    found = documented_refusal(status, tags)
    assert (found.reason if found else None) == reason


def test_the_refusals_a_body_may_get_for_what_it_is() -> None:
    assert [r.status for r in refusals_for(("prompt", "large", "lora"))] == [413, 405]
    assert refusals_for(("prompt",)) == []
