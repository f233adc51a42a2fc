"""Fixtures shared by the reference server's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.server.app import create_app
from conformance.server.embedded import serving
from support.reference_server import CLIENTS_TOKEN, tiny_engine


@pytest.fixture(scope="module")
def api_base() -> Iterator[str]:
    """The tiny model on loopback, token `CLIENTS_TOKEN`, for clients nobody here wrote: its /client/v4."""
    with serving(create_app(tiny_engine(), token=CLIENTS_TOKEN)) as origin:
        yield origin + "/client/v4"
