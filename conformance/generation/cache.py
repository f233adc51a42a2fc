"""Drawn catalogues kept on disk, so that a rerun with the same seed draws nothing.

Drawing 200 valid bodies keeps Hypothesis busy for about a second; reading them
back takes milliseconds, without importing Hypothesis. An entry holds the
bodies `valid_cases` drew, under a key made of everything that decides them,
so an entry that no longer matches is never read (it ages out instead):

- the seed and the count (Hypothesis sizes its early examples by the budget,
  which follows the count, so 20 bodies are not the first 20 of 200);
- the schema version's name and the sha256 of its files (the strategies read
  the input schema);
- the source of every ``conformance.generation`` module (in a checkout the
  toolkit's version stays the same when a strategy changes);
- the versions of the toolkit, Hypothesis, hypothesis-jsonschema and Python
  (its Unicode tables decide which characters Hypothesis draws).

Entries live in ``$CONFORMANCE_CATALOGUE_CACHE_DIR`` when set, else in
``catalogue/`` of the toolkit's cache folder (``$CONFORMANCE_CACHE_DIR``, by
default ``~/.cache/workers-ai-conformance``, beside the tiny model). Each is
written to a hidden file and renamed into place, so concurrent processes
(pytest-xdist workers, Locust processes) never read half of one. An entry
that cannot be read, or does not hold what its key promises, is drawn again;
a folder that cannot be written to is skipped: a run never fails because of
its cache. The newest `MAX_ENTRIES` entries, `MAX_BYTES` in all, are kept.
"""

# Hypothesis also draws the short literals of every local module loaded when
# it draws (strings up to 20 characters, numbers from 100 up): a new one here
# would change what a seed draws in a checkout. This module's literals are
# long ones, f-strings and ones the package already uses.

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import platform
import re
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

from conformance.contract import SchemaVersion
from conformance.generation.cases import body_digest

MAX_ENTRIES = 64
"""Entries kept: the newest, by when they were last written or read."""

MAX_BYTES = 32 << 20
"""Bytes kept in all (an entry of 200 bodies takes about 100 KiB)."""

_DISTRIBUTIONS = "workers-ai-conformance hypothesis hypothesis-jsonschema".split()
"""The installed distributions whose versions decide the draws."""

_ENTRY = re.compile(r"(\.)?[\w.-]+-\d+-\d+-[0-9a-f]{32}\.json\w*")
"""An entry's file name, or (hidden, with a random tail) that of a write in
progress: the only files this module ever removes."""

_STALE_WRITE_S = 24 * 60 * 60
"""A write in progress this old was left by a process that died: removed."""


def folder() -> Path:
    """Where entries live: ``$CONFORMANCE_CATALOGUE_CACHE_DIR``, else ``catalogue/`` of the cache folder."""
    override = os.environ.get("CONFORMANCE_CATALOGUE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    root = os.environ.get("CONFORMANCE_CACHE_DIR") or "~/.cache/workers-ai-conformance"
    return Path(root).expanduser() / "catalogue"


def entry_path(seed: int, count: int, version: SchemaVersion) -> Path:
    """The file that holds (or will hold) the ``count`` bodies ``seed`` draws for ``version``.

    >>> from conformance.contract import schema_version
    >>> entry_path(1, 20, schema_version("docs-2025-01")).name.startswith("docs-2025-01-1-20-")
    True
    """
    key = [seed, count, version.name, version.schema_hashes(), _generation_source(), _versions()]
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return folder() / f"{version.name}-{seed}-{count}-{digest}.json"


def load(path: Path, count: int) -> dict[str, Any] | None:
    """The bodies stored at ``path`` by digest, in drawing order; None if there are none to trust."""
    try:
        pairs = json.loads(path.read_bytes())
        bodies = {digest: body for digest, body in pairs}
        # The digests are the cases' ids: a body that reads back other than it
        # was drawn (an int for a float, a changed character) fails here.
        if len(bodies) != count or any(body_digest(body) != digest for digest, body in bodies.items()):
            return None
    except Exception:  # whatever is wrong with an entry, drawing again is the answer
        return None
    try:
        os.utime(path)  # the newest by use are kept
    except OSError:
        pass
    return bodies


def store(path: Path, bodies: dict[str, Any]) -> None:
    """Write an entry atomically and trim the folder; skipped where the folder cannot be written."""
    data = json.dumps(list(bodies.items()), separators=(",", ":")).encode()  # ASCII: \u escapes
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, writing = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}")
        try:
            os.close(handle)
            Path(writing).write_bytes(data)
            os.replace(writing, path)
        except BaseException:
            Path(writing).unlink(missing_ok=True)
            raise
        _trim(path.parent)
    except OSError:
        pass


def _trim(where: Path) -> None:
    entries = []
    now = time.time()
    for path in where.iterdir():
        found = _ENTRY.fullmatch(path.name)
        if found is None:
            continue
        try:
            stat = path.stat()
            if found.group(1) and stat.st_mtime < now - _STALE_WRITE_S:
                path.unlink()
        except OSError:
            continue  # another process removed it first
        if not found.group(1):
            entries.append((stat.st_mtime, stat.st_size, path))
    kept = size = 0
    for _, entry_size, path in sorted(entries, reverse=True):
        kept, size = kept + 1, size + entry_size
        if kept > MAX_ENTRIES or size > MAX_BYTES:
            path.unlink(missing_ok=True)


@cache
def _generation_source() -> str:
    digest = hashlib.sha256()
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        spec = importlib.util.find_spec(f"{__package__}.{module.name}")
        if spec is not None and spec.origin is not None:
            digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()


@cache
def _versions() -> tuple[str | None, ...]:
    found: list[str | None] = [platform.python_version()]
    for name in _DISTRIBUTIONS:
        try:
            found.append(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:  # a checkout run without installing
            found.append(None)
    return tuple(found)
