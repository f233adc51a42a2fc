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

from conformance.contract import MODEL
from conformance.server.embedded import running_reference_server
from support.fake_server import fake_server
from support.reference_server import ACCOUNT, tiny_engine

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.slow
def test_plain_st_run_passes_a_server_routing_on_the_raw_path() -> None:
    # Such a server (a Worker reading `new URL(request.url).pathname`, like the live API)
    # answers 400/5007 to the model as schemathesis encodes a path parameter.
    lines: list[str] = []
    with fake_server({"raw_path"}, token="sesame", account="f00d", request_lines=lines) as url:
        done = subprocess.run(
            [
                ST, "run", str(ROOT / "schemas" / "openapi.json"),
                "--url", url,
                "-H", "Authorization: Bearer sesame",
                "--max-examples", "3",
                "--seed", "1",
                "--no-color",
            ],
            cwd=ROOT,  # schemathesis.toml loads the hooks
            env={**os.environ, "CLOUDFLARE_ACCOUNT_ID": "f00d"},
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Examples" in output and "Coverage" in output and "Fuzzing" in output
    run_lines = [line for line in lines if "/ai/run/" in line]
    assert not [line for line in run_lines if "%40hf" in line or "/accounts/f00d/" not in line]
    literal = f"/client/v4/accounts/f00d/ai/run/{MODEL} HTTP/1.1"
    assert sum(line.endswith(literal) for line in run_lines) > len(run_lines) // 2
