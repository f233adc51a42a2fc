"""Keeps Hypothesis's working files out of the user's current directory.

Drawing cases makes Hypothesis cache Unicode tables under ``./.hypothesis``;
a CLI user running ``conformance run`` in their project should not find that
folder appear. The CLI points it at the toolkit's cache folder, beside the
tiny model. (The library leaves Hypothesis's settings alone: under pytest
they belong to the user.)

A run whose cases come from the catalogue cache never imports Hypothesis
(0.35 s), so the setting is applied when Hypothesis's configuration module is
first imported, by a one-shot import hook, rather than by importing it here.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from conformance.server.tiny_model import cache_root

_CONFIGURATION = "hypothesis.configuration"


def keep_hypothesis_out_of_cwd() -> None:
    """Send Hypothesis's storage to ``$CONFORMANCE_CACHE_DIR/hypothesis`` (default under ~/.cache)."""
    home = cache_root() / "hypothesis"
    configuration = sys.modules.get(_CONFIGURATION)
    if configuration is not None:
        configuration.set_hypothesis_home_dir(home)
        return
    for finder in sys.meta_path:
        if isinstance(finder, _SetHomeOnImport):  # a second command in the same process
            finder.home = home
            return
    sys.meta_path.insert(0, _SetHomeOnImport(home))


class _SetHomeOnImport(importlib.abc.MetaPathFinder):
    """Finds ``hypothesis.configuration`` as usual, and sets the home folder once it has run."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _CONFIGURATION:
            return None
        sys.meta_path.remove(self)  # one shot; also keeps the lookup below from finding us
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:  # pragma: no cover - Hypothesis not installed
            return spec
        spec.loader = _ThenSetHome(spec.loader, self.home)
        return spec


class _ThenSetHome(importlib.abc.Loader):
    """Runs the real loader, then points the freshly imported module at ``home``."""

    def __init__(self, loader: importlib.abc.Loader, home: Path) -> None:
        self.loader = loader
        self.home = home

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        module.set_hypothesis_home_dir(self.home)
