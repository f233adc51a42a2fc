"""Plain ``st run schemas/openapi.json``, as a schemathesis user runs it, against the reference server.

The repository's schemathesis.toml loads conformance.fuzz.hooks; nothing else
is passed but what docs/fuzz.md tells a user to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.server.embedded import running_reference_server
from tests._reference_server import ACCOUNT, tiny_engine

ROOT = Path(__file__).resolve().parents[1]
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"


@pytest.mark.slow
def test_plain_st_run_against_the_reference_server_passes_without_a_crash() -> None:
    with running_reference_server(engine=tiny_engine(), token="sesame") as base_url:
        done = subprocess.run(
            [
                ST, "run", "schemas/openapi.json",
                "--url", base_url,
                "-H", "Authorization: Bearer sesame",
                "--phases", "examples,fuzzing",
                "--max-examples", "5",
                "--seed", "1",
                "--no-color",
            ],
            cwd=ROOT,
            env={**os.environ, "CLOUDFLARE_ACCOUNT_ID": ACCOUNT},
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Configuration:    " in output and "schemathesis.toml" in output  # the hooks were loaded
    assert "Unsupported type" not in output and "Traceback" not in output  # the format: binary crash
    assert "FAILURES" not in output and "ERRORS" not in output, output
    assert "passed" in output
