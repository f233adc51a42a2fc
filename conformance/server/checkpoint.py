"""What a model directory holds, read from its files before anything heavy is imported.

``conformance serve --model-path DIR`` calls `inspect_checkpoint` first, so
a directory that is not a checkpoint, or one quantized in a way the server
cannot load, is refused with a sentence (exit 2) before torch is imported.

Two kinds load: an unquantized Hugging Face causal-LM checkpoint, and an
AWQ checkpoint in AutoAWQ's GEMM layout, 4 bits, with zero points (the layout
of TheBloke's ``*-AWQ`` repositories, Llama-2-13B-chat-AWQ among them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import CheckpointError

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")


@dataclass(frozen=True)
class AwqLayout:
    """The packing an AWQ checkpoint declares: AutoAWQ GEMM, ``bits`` a weight, a scale and zero a group."""

    group_size: int
    bits: int = 4
    version: str = "gemm"
    zero_point: bool = True


@dataclass(frozen=True)
class Checkpoint:
    """A model directory that the reference server can load.

    >>> from conformance.server.tiny_model import ensure_tiny_model
    >>> inspect_checkpoint(ensure_tiny_model()).kind
    'unquantized'
    """

    path: Path
    model_type: str
    awq: AwqLayout | None = None

    @property
    def kind(self) -> str:
        """``"unquantized"`` or ``"awq"``: which loader reads the weights."""
        return "unquantized" if self.awq is None else "awq"

    def describe(self) -> str:
        if self.awq is None:
            return f"{self.model_type}, unquantized"
        awq = self.awq
        return f"{self.model_type}, AWQ {awq.version.upper()} {awq.bits}-bit, group size {awq.group_size}"


def inspect_checkpoint(path: str | Path) -> Checkpoint:
    """Read ``config.json`` and the file list of ``path``; raise `CheckpointError` saying what is wrong.

    >>> from tempfile import TemporaryDirectory
    >>> with TemporaryDirectory() as empty:
    ...     inspect_checkpoint(empty)
    Traceback (most recent call last):
    conformance.errors.CheckpointError: it has no config.json, so it is not a Hugging Face checkpoint...
    """
    directory = Path(path)
    if not directory.is_dir():
        raise CheckpointError("it is not a directory.")
    config = _read_config(directory)
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise CheckpointError("its config.json has no 'model_type', so no model class can be chosen for it.")
    if not any(next(directory.glob(pattern), None) for pattern in _WEIGHT_PATTERNS):
        raise CheckpointError("it has no weights (no *.safetensors or pytorch_model*.bin file).")
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        raise CheckpointError(f"it has no tokenizer (neither {' nor '.join(_TOKENIZER_FILES)}).")
    quantization = config.get("quantization_config")
    if quantization is None:
        return Checkpoint(directory, model_type)
    if not isinstance(quantization, dict):
        raise CheckpointError("its config.json has a 'quantization_config' that is not an object.")
    method = quantization.get("quant_method")
    if method != "awq":
        raise CheckpointError(
            f"it is quantized with quant_method={method!r}; this server loads unquantized checkpoints "
            "and AWQ (quant_method 'awq') only."
        )
    layout = _awq_layout(quantization)
    if not any(directory.glob("*.safetensors")):
        raise CheckpointError(
            "it is an AWQ checkpoint without *.safetensors files; only safetensors are read."
        )
    return Checkpoint(directory, model_type, layout)


def _read_config(directory: Path) -> dict[str, Any]:
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CheckpointError("it has no config.json, so it is not a Hugging Face checkpoint directory.")
    try:
        config = json.loads(config_path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"its config.json is not valid JSON ({exc}).") from exc
    if not isinstance(config, dict):
        raise CheckpointError("its config.json is not a JSON object.")
    return config


def _awq_layout(quantization: dict[str, Any]) -> AwqLayout:
    version = quantization.get("version", "gemm")
    if not isinstance(version, str) or version.lower() != "gemm":
        raise CheckpointError(
            f"it is an AWQ checkpoint of version {version!r}; only the GEMM layout ('gemm') is supported."
        )
    bits = quantization.get("bits", quantization.get("w_bit"))
    if bits != 4 or isinstance(bits, bool):
        raise CheckpointError(f"it is an AWQ checkpoint with bits={bits!r}; only 4-bit AWQ is supported.")
    group_size = quantization.get("group_size", quantization.get("q_group_size"))
    if not isinstance(group_size, int) or isinstance(group_size, bool) or group_size <= 0:
        raise CheckpointError(
            f"it is an AWQ checkpoint with group_size={group_size!r}; a positive integer is required."
        )
    zero_point = quantization.get("zero_point", True)
    if zero_point is not True:
        raise CheckpointError(
            f"it is an AWQ checkpoint with zero_point={zero_point!r}; only zero-point AWQ is supported."
        )
    return AwqLayout(group_size=group_size)
