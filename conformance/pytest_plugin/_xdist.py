"""What the plugin reads and writes of pytest-xdist beyond its hooks, in one place.

Checked against pytest-xdist 3.8.0 (with pytest 9.2). ``config.workerinput``
and ``config.workeroutput`` (a worker's dicts from and to the controller) and
``node.workerinput`` / ``node.workeroutput`` on the controller are what
xdist's own docs show plugins using; the queue of a worker's pending items
(``WorkerInteractor.torun``, its ``lock()``) is private, so reading it falls
back to "nothing known" when another version lays it out differently.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

KEY = "conformance"
"""The plugin's entry in xdist's workerinput (controller to workers) and workeroutput (back)."""


def is_worker(config: pytest.Config) -> bool:
    """Whether this pytest process is an xdist worker."""
    return hasattr(config, "workerinput")


def from_controller(config: pytest.Config) -> dict[str, Any] | None:
    """What the controller handed this worker (`to_worker`), or None outside a worker."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get(KEY) if workerinput else None


def to_worker(node: Any, shared: dict[str, Any]) -> None:
    """On the controller, per worker: hand it ``shared`` (JSON-ready values)."""
    node.workerinput[KEY] = shared


def to_controller(config: pytest.Config, document: dict[str, Any]) -> None:
    """On a worker, at the end: hand the controller ``document`` (JSON-ready values)."""
    config.workeroutput[KEY] = json.dumps(document)  # type: ignore[attr-defined]


def from_worker(node: Any) -> dict[str, Any] | None:
    """On the controller, when a worker is down: what it handed over (`to_controller`), or None."""
    output = getattr(node, "workeroutput", {}).get(KEY)
    return json.loads(output) if output else None


def queued(config: pytest.Config) -> list[int] | None:
    """The indices (into ``session.items``) of the items queued for this worker, or None outside one.

    An xdist worker learns its items a few at a time; those queued can be sent
    before pytest runs them. Another xdist version: an empty list.
    """
    if not is_worker(config):
        return None
    interactor = next(
        (p for p in config.pluginmanager.get_plugins() if type(p).__name__ == "WorkerInteractor"), None
    )
    if interactor is None:
        return None
    try:
        with interactor.torun.lock() as pending:
            return [i for i in pending if isinstance(i, int)]
    except AttributeError:
        return []
