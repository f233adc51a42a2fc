"""A tiny AWQ checkpoint, synthesized: the tiny Llama at hidden size 256, quantized to AWQ GEMM 4-bit.

It is laid out as TheBloke's ``*-AWQ`` repositories are (``config.json`` with
a ``quantization_config``, ``quant_config.json``, one ``model.safetensors``
holding ``qweight``/``qzeros``/``scales`` for every projection of the decoder
layers and float16 embeddings, norms and ``lm_head``, the tokenizer files),
so ``conformance serve --model-path`` loads it through exactly the code a
downloaded checkpoint takes. Both the float source and the quantized copy
are cached beside the tiny model (`tiny_model.cache_root`).

The quantizer is round-to-nearest with AutoAWQ's zero-point scheme (see
`engines.awq.quantize`); AWQ's activation-aware channel scaling needs
calibration data and does not change the format, so it is left out.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from conformance.server.tiny_model import build_tiny_model, cached_build, recipe_key

RECIPE_VERSION = 1
"""Bump when the quantization below changes: the cache key includes it."""

GROUP_SIZE = 128
SHAPE = {"hidden_size": 256, "intermediate_size": 512}
"""Every input width (256, 512) splits into at least two groups of 128, as Llama-2-13B's (5120, 13824)
do, so a zero point read from the wrong group changes the weights."""

GAIN = 0.8
"""Projection weights drawn with std 0.8 / sqrt(inputs): the tiny model's scale at this width."""

QUANTIZATION_CONFIG = {"quant_method": "awq", "bits": 4, "group_size": GROUP_SIZE, "version": "gemm",
                       "zero_point": True}  # fmt: skip
"""What TheBloke's config.json files declare."""

_COPIED = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json")


def _key() -> str:
    recipe = json.dumps(
        {"v": RECIPE_VERSION, "tiny": recipe_key(), "shape": SHAPE, "gain": GAIN, "q": QUANTIZATION_CONFIG}
    )
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def ensure_tiny_float_model() -> Path:
    """The unquantized source: the tiny Llama's recipe at hidden size 256 (the weights AWQ rounds)."""
    return cached_build(
        f"tiny-llama-256-{_key()}", lambda directory: build_tiny_model(directory, SHAPE, gain=GAIN)
    )


def ensure_tiny_awq_model() -> Path:
    """The AWQ checkpoint directory, synthesizing it on first use.

    >>> from conformance.server.checkpoint import inspect_checkpoint
    >>> inspect_checkpoint(ensure_tiny_awq_model()).kind
    'awq'
    """
    source = ensure_tiny_float_model()
    return cached_build(
        f"tiny-llama-256-awq-{_key()}", lambda directory: quantize_checkpoint(source, directory)
    )


def quantize_checkpoint(source: Path, target: Path, group_size: int = GROUP_SIZE) -> None:
    """Write an AWQ GEMM copy of the unquantized single-file Llama checkpoint ``source`` into ``target``.

    Every 2-D weight inside ``model.layers`` (the seven projections of each
    decoder layer) becomes ``qweight``/``qzeros``/``scales``; everything else
    is stored as float16, as TheBloke's checkpoints store it.
    """
    import torch
    from safetensors.torch import load_file, save_file

    from conformance.server.engines.awq import quantize

    tensors = load_file(str(source / "model.safetensors"))
    stored: dict[str, torch.Tensor] = {}
    for name, value in tensors.items():
        if name.startswith("model.layers.") and name.endswith(".weight") and value.ndim == 2:
            prefix = name.removesuffix(".weight")
            qweight, qzeros, scales = quantize(value, group_size)
            stored[f"{prefix}.qweight"], stored[f"{prefix}.qzeros"], stored[f"{prefix}.scales"] = (
                qweight,
                qzeros,
                scales,
            )
        else:
            stored[name] = value.to(torch.float16)
    save_file(stored, str(target / "model.safetensors"), metadata={"format": "pt"})
    for name in _COPIED:
        if (source / name).exists():
            shutil.copyfile(source / name, target / name)
    config = json.loads((source / "config.json").read_text("utf-8"))
    config["quantization_config"] = {**QUANTIZATION_CONFIG, "group_size": group_size}
    config["torch_dtype"] = "float16"
    config.pop("dtype", None)
    (target / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
    # AutoAWQ's own record of the same settings, which TheBloke's repositories carry too.
    autoawq = {"zero_point": True, "q_group_size": group_size, "w_bit": 4, "version": "GEMM"}
    (target / "quant_config.json").write_text(json.dumps(autoawq, indent=2) + "\n", "utf-8")
