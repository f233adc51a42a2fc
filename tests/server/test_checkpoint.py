"""`inspect_checkpoint`: what a directory holds, or a sentence saying why the server cannot load it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import CheckpointError, UsageError
from conformance.server.checkpoint import AwqLayout, inspect_checkpoint

AWQ = {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": True}


def checkpoint_dir(
    tmp_path: Path,
    config: Any = None,
    *,
    weights: str | None = "model.safetensors",
    tokenizer: str | None = "tokenizer.json",
) -> Path:
    """A directory laid out as a checkpoint; the files' contents do not matter to the inspection."""
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        (tmp_path / "config.json").write_text(text, "utf-8")
    if weights:
        (tmp_path / weights).write_bytes(b"")
    if tokenizer:
        (tmp_path / tokenizer).write_text("{}", "utf-8")
    return tmp_path


def test_an_unquantized_checkpoint() -> None:
    from support.reference_server import tiny_model_path

    checkpoint = inspect_checkpoint(tiny_model_path())
    assert checkpoint.kind == "unquantized"
    assert checkpoint.model_type == "llama" and checkpoint.awq is None


def test_theblokes_awq_config_is_awq_gemm_4_bit_group_128(tmp_path: Path) -> None:
    config = {"model_type": "llama", "quantization_config": AWQ}
    checkpoint = inspect_checkpoint(checkpoint_dir(tmp_path, config, tokenizer="tokenizer.model"))
    assert checkpoint.kind == "awq"
    assert checkpoint.awq == AwqLayout(group_size=128, bits=4, version="gemm", zero_point=True)
    assert checkpoint.describe() == "llama, AWQ GEMM 4-bit, group size 128"


def test_autoawqs_own_key_names_and_upper_case_version_are_read(tmp_path: Path) -> None:
    quantization = {"quant_method": "awq", "w_bit": 4, "q_group_size": 64, "version": "GEMM"}
    config = {"model_type": "llama", "quantization_config": quantization}
    layout = inspect_checkpoint(checkpoint_dir(tmp_path, config)).awq
    assert layout is not None and layout.group_size == 64


@pytest.mark.parametrize(
    ("config", "files", "message"),
    [
        (None, {}, "it has no config.json, so it is not a Hugging Face checkpoint directory."),
        ("{not json", {}, "its config.json is not valid JSON"),
        ("[1, 2]", {}, "its config.json is not a JSON object."),
        ({"hidden_size": 8}, {}, "its config.json has no 'model_type'"),
        ({"model_type": "llama"}, {"weights": None}, "it has no weights"),
        ({"model_type": "llama"}, {"tokenizer": None}, "it has no tokenizer"),
        (
            {"model_type": "llama", "quantization_config": {"quant_method": "gptq", "bits": 4}},
            {},
            "it is quantized with quant_method='gptq'; this server loads unquantized checkpoints and AWQ",
        ),
        (
            {"model_type": "llama", "quantization_config": "awq"},
            {},
            "'quantization_config' that is not an object",
        ),
        (
            {"model_type": "llama", "quantization_config": {**AWQ, "version": "gemv"}},
            {},
            "of version 'gemv'; only the GEMM layout",
        ),
        ({"model_type": "llama", "quantization_config": {**AWQ, "bits": 8}}, {}, "bits=8; only 4-bit"),
        ({"model_type": "llama", "quantization_config": {**AWQ, "group_size": -1}}, {}, "group_size=-1"),
        (
            {"model_type": "llama", "quantization_config": {**AWQ, "zero_point": False}},
            {},
            "zero_point=False",
        ),
        (
            {"model_type": "llama", "quantization_config": AWQ},
            {"weights": "pytorch_model.bin"},
            "AWQ checkpoint without *.safetensors",
        ),
    ],
    ids=[
        "no-config",
        "config-not-json",
        "config-not-object",
        "no-model-type",
        "no-weights",
        "no-tokenizer",
        "gptq",
        "quantization-config-not-object",
        "awq-gemv",
        "awq-8-bit",
        "awq-bad-group-size",
        "awq-no-zero-point",
        "awq-without-safetensors",
    ],
)
def test_what_cannot_be_loaded_is_refused_with_the_reason(
    tmp_path: Path, config: Any, files: dict[str, Any], message: str
) -> None:
    directory = checkpoint_dir(tmp_path, config, **files)
    with pytest.raises(CheckpointError) as raised:
        inspect_checkpoint(directory)
    assert message in str(raised.value)
    # The CLI maps usage errors to exit 2.
    assert isinstance(raised.value, UsageError)


def test_a_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"")
    with pytest.raises(CheckpointError, match="it is not a directory"):
        inspect_checkpoint(file)
