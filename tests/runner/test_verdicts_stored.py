"""The verdicts a seed gives stay what they were: a fresh run's results.json against a stored one.

Speed work (the catalogue cache, drawing only what a profile needs, the
runner's hot path) must not change which cases a seed sends or how each is
judged. Each server below is run with the standard profile and seed 1, its
results.json is written as a user gets it, and the parts that do not depend
on timing (every case's id, outcome and per-check outcomes; every check's
status, cases checked and failing cases; the counts) are compared with
``tests/runner/snapshots/``. A deliberate change to the catalogue or a check
regenerates them:

    CONFORMANCE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/runner/test_verdicts_stored.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.runner import RunConfig, RunFinished, run, write_artifacts
from support.fake_server import fake_server
from support.samples import TOKEN

SNAPSHOTS = Path(__file__).parent / "snapshots"

SERVERS = {
    "conformant": frozenset(),
    # One fault per layer: an error envelope, a result body, streaming usage and determinism.
    "broken": frozenset({"bad_error_envelope", "too_many_tokens", "stream_bad_usage", "nondeterministic"}),
}


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """What a seed decides in a results.json: no timings, ports, texts or dates."""
    return {
        "verdict": results["verdict"],
        "exit_code": results["exit_code"],
        "counts": {k: v for k, v in results["counts"].items() if k != "retries"},
        "checks": [
            {
                "id": check["id"],
                "status": check["status"],
                "cases_checked": check["cases_checked"],
                "failing_cases": sorted({failure["case_id"] for failure in check["failures"]}),
            }
            for check in results["checks"]
        ],
        "cases": [
            {"id": case["id"], "outcome": case["outcome"], "checks": case["checks"]}
            for case in results["cases"]
        ],
    }


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_seed_1_standard_gives_the_stored_verdicts(server: str, tmp_path: Path) -> None:
    with fake_server(SERVERS[server], token=TOKEN) as url:
        config = RunConfig(base_url=url, account_id="X", token=TOKEN, profile="standard", seed=1)
        final = list(run(config))[-1]
    assert isinstance(final, RunFinished)
    write_artifacts(final.result, tmp_path)
    fresh = verdicts(json.loads((tmp_path / "results.json").read_text()))
    stored_path = SNAPSHOTS / f"standard-seed-1-{server}.json"
    if os.environ.get("CONFORMANCE_UPDATE_SNAPSHOTS") == "1":
        stored_path.parent.mkdir(exist_ok=True)
        stored_path.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    stored = json.loads(stored_path.read_text())
    assert fresh["verdict"] == stored["verdict"] and fresh["counts"] == stored["counts"]
    sent, expected = [c["id"] for c in fresh["cases"]], [c["id"] for c in stored["cases"]]
    assert sent == expected, "the seed sent other cases"
    assert fresh == stored
