"""The documented refusal policy: the only ways a server may turn down a schema-valid body.

A schema-valid body earns a 2xx, except where the contract's error table
documents a refusal that has nothing to do with the schema: a body too large
for the server (413, 3006), a LoRA adapter it does not serve (405, 5005), no
capacity left (429, 3040 or 3036, retried by the client), or authentication
(401, 403). A 400 with 5006 ("Bad input") says the body breaks the schema,
which for a schema-valid body is false, however large it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.contract.api import ErrorCode


@dataclass(frozen=True)
class Refusal:
    """One documented way to refuse a schema-valid body: the status, the codes it may carry, and why."""

    status: int
    codes: tuple[int, ...]
    reason: str
    tag: str | None = None  # the case tag it applies to; None: any schema-valid body


REFUSALS: tuple[Refusal, ...] = (
    Refusal(413, (ErrorCode.TOO_LARGE,), "request too large", tag="large"),
    Refusal(405, (ErrorCode.LORA_UNSUPPORTED,), "LoRA unsupported", tag="lora"),
    Refusal(429, (ErrorCode.OUT_OF_CAPACITY, ErrorCode.DAILY_ALLOCATION), "out of capacity"),
    Refusal(401, (ErrorCode.AUTHENTICATION,), "authentication"),
    Refusal(403, (ErrorCode.AUTHENTICATION,), "authentication"),
)
"""The refusals the contract's error table documents for schema-valid bodies."""


def documented_refusal(status: int, tags: tuple[str, ...]) -> Refusal | None:
    """The documented refusal a status is, for a schema-valid body with ``tags``; None if it is none.

    >>> documented_refusal(413, ("prompt", "large")).reason
    'request too large'
    >>> documented_refusal(400, ("prompt", "large")) is None
    True
    """
    for refusal in REFUSALS:
        if refusal.status == status and (refusal.tag is None or refusal.tag in tags):
            return refusal
    return None


def refusals_for(tags: tuple[str, ...]) -> list[Refusal]:
    """The refusals a schema-valid body with ``tags`` may get because of what it is (large, lora)."""
    return [r for r in REFUSALS if r.tag is not None and r.tag in tags]
