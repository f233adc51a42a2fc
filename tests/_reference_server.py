"""Shared by the reference-server tests: the tiny model built once, engines loaded once, URLs.

Imported by the test modules (not a conftest, so it cannot clash with other
suites' fixtures). Building and loading are memoised per process: the first
test that needs the model pays a few seconds, the rest nothing.
"""

from __future__ import annotations

import functools
from pathlib import Path

from conformance.contract import MODEL, run_path

ACCOUNT = "0123456789abcdef0123456789abcdef"


@functools.cache
def tiny_model_path() -> Path:
    from conformance.server.tiny_model import ensure_tiny_model

    return ensure_tiny_model()


@functools.cache
def tiny_engine() -> object:
    from conformance.server.engines.transformers_engine import TransformersEngine

    return TransformersEngine.load(tiny_model_path())


def run_url(base_url: str, account: str = ACCOUNT, model: str = MODEL) -> str:
    """``{base}/accounts/{account}/ai/run/{model}`` for a base ending in /client/v4."""
    return base_url + run_path(account, model)
