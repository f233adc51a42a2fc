"""Draws that depend on the seed alone: Hypothesis's "local constants" kept out of the catalogue.

Hypothesis (6.131 and later) mixes into its draws constants it reads from the
source of every *local* module in ``sys.modules``: code outside site-packages
and the standard library, which includes an editable install of this toolkit,
the user's conftest and checks modules, and whatever tests ran before in the
same process. The same seed then drew other valid cases in the CLI, in the
pytest plugin and in a test session, depending on what happened to be
imported (seen here: a different 13th case of seed 1's standard run under
pytest-xdist). A seed must name one catalogue, so while the catalogue is drawn
the local constants are empty; Hypothesis's own global constants stay.

This reaches into ``hypothesis.internal``, which has no public switch for it;
on a Hypothesis without that function the draw runs unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Hypothesis draws inside this block use no constants read from the process's own modules."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis from before local constants
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:  # pragma: no cover - another Hypothesis layout
        yield
        return
    empty = providers.Constants()  # type: ignore[attr-defined]
    cache.cache.clear()  # its entries hold the local constants chosen so far
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()
