"""Keeps Hypothesis's working files out of the user's current directory.

Drawing cases makes Hypothesis cache Unicode tables under ``./.hypothesis``;
a CLI user running ``conformance run`` in their project should not find that
folder appear. The CLI points it at the user cache instead. (The library
leaves Hypothesis's settings alone: under pytest they belong to the user.)
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The toolkit's cache folder: ``$CONFORMANCE_CACHE_DIR`` or ``~/.cache/workers-ai-conformance``."""
    configured = os.environ.get("CONFORMANCE_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "workers-ai-conformance"


def keep_hypothesis_out_of_cwd() -> None:
    """Send Hypothesis's storage to the toolkit's cache folder."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(cache_dir() / "hypothesis")
