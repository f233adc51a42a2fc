"""Keeps Hypothesis's working files out of the user's current directory.

Drawing cases makes Hypothesis cache Unicode tables under ``./.hypothesis``;
a CLI user running ``conformance run`` in their project should not find that
folder appear. The CLI points it at the toolkit's cache folder, beside the
tiny model. (The library leaves Hypothesis's settings alone: under pytest
they belong to the user.)
"""

from __future__ import annotations

from conformance.server.tiny_model import cache_root


def keep_hypothesis_out_of_cwd() -> None:
    """Send Hypothesis's storage to ``$CONFORMANCE_CACHE_DIR/hypothesis`` (default under ~/.cache)."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(cache_root() / "hypothesis")
