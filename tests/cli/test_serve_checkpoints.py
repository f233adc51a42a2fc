"""``conformance serve --model-path`` and ``--device``: what is refused (exit 2), and AWQ end to end.

The end-to-end test serves the synthesized AWQ checkpoint with ``conformance
serve`` in one process and runs the standard profile against it with
``conformance run --base-url`` in another, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from support.processes import accepts_connections, free_port

SERVER_TOKEN = "awq-e2e-token-3b9d"


def serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
    return result.exit_code, result.output


def test_a_directory_without_config_is_not_a_checkpoint(tmp_path: Path) -> None:
    code, output = serve("--model-path", str(tmp_path))
    assert code == 2
    assert f"--model-path={str(tmp_path)!r}: it has no config.json" in output
    assert "Traceback" not in output


def test_a_quantization_the_server_cannot_load_is_named(tmp_path: Path) -> None:
    config = {"model_type": "llama", "quantization_config": {"quant_method": "gptq", "bits": 4}}
    (tmp_path / "config.json").write_text(json.dumps(config), "utf-8")
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}", "utf-8")
    code, output = serve("--model-path", str(tmp_path))
    assert code == 2
    assert "quant_method='gptq'" in output and "AWQ" in output


@pytest.mark.parametrize("device", ["gpu", "cuda:", "cuda:one", "CPU"])
def test_a_misspelt_device_is_a_usage_error(device: str) -> None:
    code, output = serve("--device", device)
    assert code == 2
    expected = f"Invalid value for '--device': {device!r} is not a device; use auto, cpu, cuda or cuda:N."
    assert expected in output


def test_cuda_where_torch_sees_none_is_a_usage_error() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    code, output = serve("--device", "cuda:0")
    assert code == 2
    assert "--device='cuda:0': torch" in output and "sees no CUDA device here; use cpu (or auto)." in output


@pytest.mark.slow
def test_the_synthesized_awq_checkpoint_passes_the_standard_profile(tmp_path: Path) -> None:
    from conformance.server.tiny_awq import ensure_tiny_awq_model

    model_path = ensure_tiny_awq_model()
    port = free_port()
    # A developer's CLOUDFLARE_* or CONFORMANCE_SERVER_TOKEN would change the target or the auth.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLOUDFLARE_", "CONFORMANCE_S"))
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "conformance", "serve", "--port", str(port), "--token", SERVER_TOKEN,
             "--model-path", str(model_path), "--device", "cpu"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not accepts_connections(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"conformance serve did not start: {log_path.read_text('utf-8')}")
            time.sleep(0.2)
        base_url = f"http://127.0.0.1:{port}/client/v4"
        completed = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--base-url", base_url, "--account-id", "X",
             "--seed", "11", "--report-dir", "out"],
            cwd=tmp_path, env={**env, "CLOUDFLARE_API_TOKEN": SERVER_TOKEN},
            capture_output=True, text=True, timeout=540, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    log_text = log_path.read_text("utf-8")
    assert "AWQ GEMM 4-bit, group size 128 on cpu" in log_text
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    assert results["verdict"] == "pass"
    assert results["profile"] == "standard"
