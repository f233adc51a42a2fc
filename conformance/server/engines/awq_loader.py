"""Load an AWQ GEMM checkpoint into a transformers model whose quantized linears are `AwqLinear`.

transformers 5.x loads AWQ only through the ``gptqmodel`` backend, which
does not install beside torch 2.13.0 (docs/reference-server.md says why), so
this builds the model itself:

1. the model class from ``config.json`` (any causal LM transformers knows),
   its parameters on the ``meta`` device so that nothing is allocated;
2. every ``nn.Linear`` whose ``{name}.qweight`` is in the safetensors becomes
   an `AwqLinear` over the packed tensors (TheBloke's layout: every
   projection in the decoder layers; embeddings, norms and ``lm_head`` stay
   float16);
3. the other tensors are assigned as they are; anything the model declares
   and the checkpoint lacks is an error, not random weights.

The result is an ordinary ``PreTrainedModel`` that `TransformersEngine`
drives with its own token loop, exactly as an unquantized one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from conformance.errors import CheckpointError
from conformance.server.checkpoint import Checkpoint
from conformance.server.engines.awq import awq_linear_from


def load_awq_model(checkpoint: Checkpoint, *, device: str, dtype: torch.dtype) -> Any:
    """The model of an AWQ ``checkpoint`` on ``device``, unquantized tensors in ``dtype``."""
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM

    layout = checkpoint.awq
    if layout is None:
        raise ValueError(f"{checkpoint.path} is not an AWQ checkpoint")
    config = AutoConfig.from_pretrained(str(checkpoint.path))
    # The model is built from the config alone; a quantization_config left on
    # it would make transformers look for its own (absent) AWQ backend later.
    with contextlib.suppress(AttributeError):
        del config.quantization_config
    with _parameters_on_meta():
        model: Any = AutoModelForCausalLM.from_config(config, dtype=dtype)  # type: ignore[no-untyped-call]

    tensors: dict[str, torch.Tensor] = {}
    for file in sorted(checkpoint.path.glob("*.safetensors")):
        with safe_open(str(file), framework="pt", device="cpu") as handle:
            for key in handle.keys():
                tensors[key] = handle.get_tensor(key)

    quantized = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and f"{name}.qweight" in tensors
    ]
    if not quantized:
        raise CheckpointError(
            "it declares quant_method 'awq' but no linear layer of the model has a '.qweight' tensor."
        )
    for name in quantized:
        parent_name, _, child = name.rpartition(".")
        layer = awq_linear_from(tensors, name, layout.group_size).to(device)
        layer.scales = layer.scales.to(dtype)
        model.get_submodule(parent_name).register_module(child, layer)
        for suffix in ("qweight", "qzeros", "scales", "bias"):
            tensors.pop(f"{name}.{suffix}", None)

    expected = dict(model.named_parameters())
    if getattr(config, "tie_word_embeddings", False):
        expected.pop("lm_head.weight", None)
    missing = sorted(set(expected) - set(tensors))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CheckpointError(f"its safetensors lack tensors the model needs: {shown}.")
    for name, declared in expected.items():
        value = tensors[name]
        if value.shape != declared.shape:
            raise CheckpointError(
                f"its {name} has shape {tuple(value.shape)}; the config implies {tuple(declared.shape)}."
            )
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        parent.register_parameter(
            child, nn.Parameter(value.to(device=device, dtype=dtype), requires_grad=False)
        )
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    model.to(device)
    model.eval()
    return model


@contextlib.contextmanager
def _parameters_on_meta() -> Iterator[None]:
    """Every parameter registered inside the block lives on ``meta``; buffers stay real.

    Building under ``torch.device("meta")`` would put buffers there too, and
    non-persistent ones (rotary ``inv_freq``) are computed at construction,
    not stored in checkpoints. accelerate's ``init_empty_weights`` does the
    same; this avoids the dependency.
    """
    original = nn.Module.register_parameter

    def register_on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and param.device.type != "meta":
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        original(module, name, param)

    nn.Module.register_parameter = register_on_meta  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        nn.Module.register_parameter = original  # type: ignore[method-assign]
