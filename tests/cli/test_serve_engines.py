"""``conformance serve --engine ...``: bad combinations exit 2; each engine passes the suite end to end.

The end-to-end runs are what a user does: ``conformance serve`` in one
process, ``conformance run --base-url`` in another. The openai engine
forwards to tests/support/openai_upstream.py, which stands in for vLLM's OpenAI
server (no vLLM here); the vllm engine runs against the stand-in `vllm`
package (tests/support/vllm_stand_in), put on the server's PYTHONPATH because vLLM
cannot be installed on this CPU machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from support.openai_upstream import OpenAIUpstream, running_upstream
from support.processes import serve
from support.reference_server import tiny_engine, tiny_model_path

STAND_IN = Path(__file__).parents[1] / "support" / "vllm_stand_in"
TOKEN = "engines-e2e-token"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--engine", "openai"], "--engine=openai needs --upstream-url"),
        (["--upstream-url", "http://127.0.0.1:8000/v1"], "--upstream-url='http://127.0.0.1:8000/v1' is only"),
        (["--engine", "vllm", "--upstream-model", "m"], "--upstream-model='m' is only for --engine=openai"),
        (
            ["--engine", "openai", "--upstream-url", "localhost:8000"],
            "--upstream-url='localhost:8000' is not",
        ),
        (["--engine", "openai", "--upstream-url", "http://h/v1", "--model-path", "."], "--model-path='.'"),
        (
            [
                "--engine",
                "openai",
                "--upstream-url",
                "http://h/v1",
                "--upstream-api-key-env",
                "NO_SUCH_VAR_11",
            ],
            "--upstream-api-key-env='NO_SUCH_VAR_11'",
        ),
        (["--engine", "tgi"], "'tgi' is not one of"),
    ],
)
def test_a_bad_combination_is_a_usage_error(args: list[str], named: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output


def test_vllm_not_installed_is_a_usage_error() -> None:
    assert importlib.util.find_spec("vllm") is None, "this test needs a machine without vllm (as CI is)"
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--engine", "vllm"])
    assert result.exit_code == 2
    assert "pip install 'workers-ai-conformance[vllm]'" in result.output


def test_an_unreachable_upstream_says_so() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--port", "0", "--engine", "openai", "--upstream-url", "http://127.0.0.1:9/v1"]
    )
    assert result.exit_code == 1
    assert "cannot be reached" in result.output and "Traceback" not in result.output


def run_suite(base_url: str, workdir: Path) -> dict[str, object]:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN, "CONFORMANCE_SERVER_TOKEN": ""}
    completed = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--base-url", base_url, "--account-id", "X",
         "--profile", "smoke", "--seed", "3", "--report-dir", "out"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results: dict[str, object] = json.loads((workdir / "out" / "results.json").read_text(encoding="utf-8"))
    return results


@pytest.mark.slow
def test_the_suite_passes_through_the_openai_engine(tmp_path: Path) -> None:
    upstream = OpenAIUpstream(tiny_engine(), api_key="upstream-secret")
    with running_upstream(upstream) as url:
        args = ["--engine", "openai", "--upstream-url", url, "--upstream-api-key-env", "UPSTREAM_KEY_11"]
        env = {"UPSTREAM_KEY_11": "upstream-secret", "CONFORMANCE_SERVER_TOKEN": TOKEN}
        with serve(*args, env=env) as (base_url, lines):
            results = run_suite(base_url, tmp_path)
    assert f"Engine: openai (TheBloke/Llama-2-13B-chat-AWQ at {url})" in "".join(lines)
    assert results["verdict"] == "pass"
    assert len(upstream.received) > 10, "the answers came from the upstream"


@pytest.mark.slow
def test_the_suite_passes_through_the_vllm_engine_on_the_stand_in(tmp_path: Path) -> None:
    path = os.pathsep.join([str(STAND_IN), os.environ.get("PYTHONPATH", "")])
    env = {"PYTHONPATH": path, "CONFORMANCE_SERVER_TOKEN": TOKEN}
    with serve("--engine", "vllm", "--model-path", str(tiny_model_path()), env=env) as (base_url, lines):
        results = run_suite(base_url, tmp_path)
    assert f"Engine: vllm ({tiny_model_path()})" in "".join(lines)
    assert results["verdict"] == "pass"
