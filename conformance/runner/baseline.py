"""Baselines: accepted failures, by check and case id, that do not fail a run.

A baseline file is JSON::

    {"format": "workers-ai-conformance/baseline", "format_version": 1,
     "accepted": [{"check": "usage_consistent", "case_id": "valid/3fa2...", "message": "Received: ..."}]}

Failures it lists are reported but accepted; new failures fail the run;
entries that no longer fail are reported as fixed so the file can shrink.

Judging never touches the file: the caller loads it as a `Baseline`
(`baseline_for`), the run's result is summed against that value, and the
caller writes the file back when the run rewrites it (`save_updated_baseline`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.contract.bounded_json import read_json
from conformance.errors import UsageError
from conformance.runner.config import RunConfig
from conformance.runner.results import Failure, RunResult

FORMAT = "workers-ai-conformance/baseline"
Key = tuple[str, str]  # (check id, case id)


@dataclass(frozen=True)
class Baseline:
    """A baseline file as a run applies it: its name, what it holds, and whether the run rewrites it.

    ``accepted`` is what the file held when the run began (nothing when
    ``update`` and there is no file yet). A run that rewrites it accepts its
    own failures instead, and reports the file's entries it fixed.
    """

    path: str
    accepted: frozenset[Key] = frozenset()
    update: bool = False


def baseline_for(config: RunConfig) -> Baseline | None:
    """The baseline ``config`` names (``--baseline``, ``--update-baseline``), loaded; None without one.

    >>> baseline_for(RunConfig(base_url="http://127.0.0.1:8787/client/v4", account_id="X")) is None
    True
    """
    path = config.baseline
    if path is None:
        return None
    held = load_baseline(path) if not config.update_baseline or path.is_file() else set()
    return Baseline(str(path), frozenset(held), config.update_baseline)


def save_updated_baseline(result: RunResult) -> None:
    """Write the run's failures to its baseline file when the run rewrites it (``--update-baseline``)."""
    if result.baseline is not None and result.baseline.updated:
        save_baseline(Path(result.baseline.path), result.failures)


def load_baseline(path: Path) -> set[Key]:
    """The accepted (check, case id) pairs of a baseline file; a malformed file is a usage error."""
    return set(load_baseline_reasons(path))


def load_baseline_reasons(path: Path) -> dict[Key, str]:
    """Each accepted (check, case id) pair with the message the file keeps for it (its reason)."""
    try:
        document = read_json(path.read_text(encoding="utf-8"))
        entries = document["accepted"]
        return {(str(e["check"]), str(e["case_id"])): str(e.get("message", "")) for e in entries}
    except FileNotFoundError:
        raise UsageError(
            "does not exist; create it with {update_baseline}",
            field="baseline",
            value=str(path),
            mentions=("update_baseline",),
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"is not a baseline file ({type(exc).__name__}: {exc}); regenerate it with {{update_baseline}}",
            field="baseline",
            value=str(path),
            mentions=("update_baseline",),
        ) from None


def save_baseline(path: Path, failures: list[Failure], redact: Callable[[str], str] | None = None) -> None:
    """Write every failure as accepted, sorted, with the first line of its message for readers.

    ``redact``, when given, is applied to each message (a value), never to the file's text.
    """
    keep = redact or (lambda text: text)
    accepted = sorted({(f.check_id, f.case_id): keep(f.message.split("\n")[0]) for f in failures}.items())
    document = {
        "format": FORMAT,
        "format_version": 1,
        "accepted": [{"check": c, "case_id": i, "message": m} for (c, i), m in accepted],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
