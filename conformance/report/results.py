"""Reading a stored ``results.json`` (docs/results-format.md) for the report.

The report depends on this format only, never on the runner's classes, so a
results file from any run, recorded or replayed, renders the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.contract.bounded_json import MAX_DEPTH, read_json
from conformance.errors import JSONReadError, UsageError

RESULTS_FORMAT = "workers-ai-conformance/results"
"""The ``format`` member every results file carries."""

RESULTS_FORMAT_VERSION = 2
"""The ``format_version`` results are written in; additive changes keep it."""

READABLE_VERSIONS = (1, 2)
"""Versions this report reads: 2 only added the ``load`` and ``differences`` sections to 1."""


def load_results(path: Path) -> dict[str, Any]:
    """Read and check a results file; raise UsageError saying what is wrong with it::

        load_results(Path("reports/latest/results.json"))["verdict"]  # 'pass'
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"RESULTS={str(path)!r} does not exist. Pass the results.json a run wrote."
        ) from None
    except IsADirectoryError:
        raise UsageError(f"RESULTS={str(path)!r} is a directory. Pass the results.json inside it.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"RESULTS={str(path)!r} cannot be read: {exc}") from None
    try:
        # results.json wraps response bodies (read at MAX_DEPTH) in a few levels of its own.
        results = read_json(raw, max_depth=2 * MAX_DEPTH)
    except JSONReadError as exc:
        raise UsageError(f"RESULTS={str(path)!r} is not JSON: {exc}.") from None
    check_results(results, source=str(path))
    return results  # type: ignore[no-any-return]


def check_results(results: Any, *, source: str = "results") -> None:
    """Raise UsageError unless ``results`` is a results object of a version this report reads."""
    if not isinstance(results, dict):
        raise UsageError(f"{source}: Received a JSON {type(results).__name__}. Expected an object.")
    found_format = results.get("format")
    if found_format != RESULTS_FORMAT:
        raise UsageError(
            f"{source}: Received format {found_format!r}. Expected {RESULTS_FORMAT!r}. "
            "This file was not written by `conformance run`."
        )
    version = results.get("format_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise UsageError(
            f"{source}: Received format_version {version!r}. "
            f"Expected {' or '.join(map(str, READABLE_VERSIONS))}. "
            "Render it with the toolkit version that wrote it."
        )
