"""What every test folder shares.

The folders mirror the package: tests/runner/ tests conformance/runner/, and so
on; tests/end_to_end/ drives the CLI across layers (the fault and framing
tables, hostile servers, plain ``st run``). tests/support/ holds the loopback
servers and helpers, imported as ``support`` (pyproject.toml puts tests/ on
pytest's ``pythonpath``). Fixtures used by several files of one folder live in
that folder's conftest.py.

Drawn catalogues are cached on disk (`conformance.generation.cache`); no test
writes to the user's ~/.cache, and no test reads what another drew.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

import pytest

# pytester runs pytest itself: tests/test_options.py and tests/pytest_plugin/.
pytest_plugins = ["pytester"]

CATALOGUE_CACHE = "CONFORMANCE_CATALOGUE_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    # Catalogues drawn while collecting (parametrize over valid_cases) come
    # before any fixture: they go to a folder of the session's.
    folder = tempfile.mkdtemp(prefix="conformance-catalogue-")
    before = os.environ.get(CATALOGUE_CACHE)
    os.environ[CATALOGUE_CACHE] = folder

    def restore() -> None:
        if before is None:
            os.environ.pop(CATALOGUE_CACHE, None)
        else:
            os.environ[CATALOGUE_CACHE] = before
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(restore)


@pytest.fixture(autouse=True)
def _catalogue_cache_of_its_own(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test, and every process it starts, keeps drawn catalogues in a folder of its own.

    A test meets the cache only as a user's rerun would: a catalogue drawn in
    another test (perhaps in another process, with other modules loaded) is
    never read. The folder is made on the first write.
    """
    name = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    monkeypatch.setenv(CATALOGUE_CACHE, str(tmp_path_factory.getbasetemp() / "catalogue-cache" / name))
