"""The HTTP side of the contract that the schemas do not say: route, model, error codes.

Facts from ../shared/CONTRACT.md. Shared by the checks (what to expect) and
the reference server (what to send), so both read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

MODEL = "@hf/thebloke/llama-2-13b-chat-awq"
"""The model whose published schema is vendored in schemas/."""

CLOUDFLARE_BASE_URL = "https://api.cloudflare.com/client/v4"
"""The real service's API base."""

MAX_CONTENT_CHARS = 131072
"""maxLength of ``prompt`` and of each message's ``content``, in code points."""

SEED_MAX = 9999999999
"""Largest schema-valid ``seed``: more than 32 bits."""

DEFAULT_MAX_TOKENS = 256
"""``max_tokens`` when the request leaves it out."""

DEFAULT_TEMPERATURE = 0.6
"""``temperature`` when the request leaves it out."""


def run_path(account_id: str, model: str = MODEL) -> str:
    """The path of a run below the API base: ``/accounts/{id}/ai/run/{model}``.

    The model name keeps its slashes and ``@``: the real service routes on them.
    """
    return f"/accounts/{account_id}/ai/run/{model}"


class ErrorCode(IntEnum):
    """Workers AI error codes with the HTTP status each arrives with."""

    BAD_INPUT = 5006
    NO_SUCH_MODEL = 5007
    MODEL_DEPRECATED = 5028
    MISSING_HEADERS_OR_BODY = 3003
    ROUTE_NOT_FOUND = 7003
    AUTHENTICATION = 10000
    LORA_UNSUPPORTED = 5005
    TOO_LARGE = 3006
    TIMEOUT = 3007
    ABORTED = 3008
    DAILY_ALLOCATION = 3036
    DAILY_ALLOCATION_ALT = 4006
    OUT_OF_CAPACITY = 3040

    @property
    def status(self) -> int:
        """The HTTP status this code is sent with."""
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_INPUT: 400,
    ErrorCode.NO_SUCH_MODEL: 400,
    # Seen as "AiError: 5028: This model was deprecated on 2026-05-30. Please use an
    # alternative model" through the Workers binding (cloudflare/cloudflare-docs
    # issue #32501); its REST status is not documented: 400 as for 5007 is assumed.
    ErrorCode.MODEL_DEPRECATED: 400,
    ErrorCode.MISSING_HEADERS_OR_BODY: 400,
    ErrorCode.ROUTE_NOT_FOUND: 404,
    ErrorCode.AUTHENTICATION: 401,
    ErrorCode.LORA_UNSUPPORTED: 405,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.TIMEOUT: 408,
    ErrorCode.ABORTED: 408,
    ErrorCode.DAILY_ALLOCATION: 429,
    ErrorCode.DAILY_ALLOCATION_ALT: 429,
    ErrorCode.OUT_OF_CAPACITY: 429,
}


@dataclass(frozen=True)
class ErrorBody:
    """A Workers AI error envelope, ready to serialise.

    >>> ErrorBody(ErrorCode.BAD_INPUT, "AiError: Bad input: ...").to_json()["success"]
    False
    """

    code: ErrorCode
    message: str

    @property
    def status(self) -> int:
        return self.code.status

    def to_json(self) -> dict[str, object]:
        return {
            "errors": [{"message": self.message, "code": int(self.code)}],
            "success": False,
            "result": {},
            "messages": [],
        }
