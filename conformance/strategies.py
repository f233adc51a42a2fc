"""The Hypothesis strategies of the request bodies, for a user's own property tests.

>>> from hypothesis import given
>>> from conformance.strategies import valid_requests
>>> @given(body=valid_requests())
... def test_conforms(conformance_client, body): ...
"""

from __future__ import annotations

from conformance.generation.strategies import (
    functions,
    images,
    message_contents,
    messages,
    messages_requests,
    prompt_requests,
    prompts,
    roles,
    tool_definitions,
    tools,
    valid_requests,
)

__all__ = [
    "functions",
    "images",
    "message_contents",
    "messages",
    "messages_requests",
    "prompt_requests",
    "prompts",
    "roles",
    "tool_definitions",
    "tools",
    "valid_requests",
]
