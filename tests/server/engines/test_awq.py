"""AWQ GEMM: the packing, the layer, and the synthesized checkpoint loaded as a user's download is.

The model-level tests compare logits of the tiny AWQ checkpoint, loaded by
`load_awq_model` (what `TransformersEngine.load` calls for an AWQ
directory), with two references:

- the float model with every projection replaced by its dequantized weight
  and the other tensors rounded to float16, as stored: the same numbers by
  another route (plain ``nn.Linear``), so within `SAME_WEIGHTS_TOLERANCE`;
- the unquantized float model: 4-bit rounding moves each weight by about a
  tenth of its standard deviation (a step is about 0.35 sigma for a group of
  128 Gaussian weights; rounding error is a step / sqrt(12)), and the logits
  by a relative L2 error of 0.09 (measured), half `UNQUANTIZED_TOLERANCE`.
  A packing error (nibble order, zero points from the wrong place) moves
  them by 0.35 to 0.76 (measured), which the corruption tests prove on
  checkpoints broken on purpose.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from conformance.errors import CheckpointError  # noqa: E402
from conformance.server.checkpoint import inspect_checkpoint  # noqa: E402
from conformance.server.engines.awq import (  # noqa: E402
    PACK_ORDER,
    AwqLinear,
    dequantize,
    pack,
    quantize,
    unpack,
)

SAME_WEIGHTS_TOLERANCE = 1e-3
"""Largest absolute logit difference against plain linears over the dequantized weights."""

UNQUANTIZED_TOLERANCE = 0.2
"""Largest relative L2 error of the logits against the unquantized model (docs/reference-server.md)."""

SEQUENTIAL = (0, 1, 2, 3, 4, 5, 6, 7)


# -- packing ----------------------------------------------------------------


def test_nibble_k_holds_column_pack_order_k() -> None:
    # AutoAWQ's GEMM order: columns 0..7 holding 0..7 pack, lowest nibble
    # first, as 0, 2, 4, 6, 1, 3, 5, 7.
    assert PACK_ORDER == (0, 2, 4, 6, 1, 3, 5, 7)
    assert pack(torch.arange(8).reshape(1, 8)).item() == 0x75316420
    # A high top nibble is a negative int32, as the checkpoints store it.
    word = pack(torch.tensor([[0, 0, 0, 0, 0, 0, 0, 15]])).item()
    assert word == 0xF0000000 - (1 << 32)


def test_unpack_undoes_pack() -> None:
    generator = torch.Generator().manual_seed(1)
    values = torch.randint(0, 16, (256, 64), generator=generator)
    packed = pack(values)
    assert packed.dtype == torch.int32 and packed.shape == (256, 8)
    assert torch.equal(unpack(packed), values.to(torch.int32))


def test_quantized_weights_are_within_half_a_step() -> None:
    generator = torch.Generator().manual_seed(2)
    weight = torch.randn(64, 256, generator=generator)
    qweight, qzeros, scales = quantize(weight, 128)
    assert (qweight.shape, qzeros.shape, scales.shape) == ((256, 8), (2, 8), (2, 64))
    assert scales.dtype == torch.float16
    restored = dequantize(qweight, qzeros, scales, 128, torch.float32).T
    steps = scales.float().repeat_interleave(128, dim=0).T
    # Half a step of rounding, plus the zero point's own rounding at the edges.
    assert bool(((restored - weight).abs() <= steps * 0.5 + 1e-6).float().mean() > 0.99)
    assert bool(((restored - weight).abs() <= steps).all())


def test_awq_linear_computes_as_a_linear_over_the_dequantized_weight() -> None:
    generator = torch.Generator().manual_seed(3)
    weight, bias = torch.randn(32, 256, generator=generator), torch.randn(32, generator=generator)
    qweight, qzeros, scales = quantize(weight, 128)
    layer = AwqLinear(qweight, qzeros, scales, group_size=128, bias=bias)
    plain = torch.nn.Linear(256, 32)
    with torch.no_grad():
        plain.weight.copy_(dequantize(qweight, qzeros, scales, 128, torch.float32).T)
        plain.bias.copy_(bias)
        x = torch.randn(3, 5, 256, generator=generator)
        assert torch.allclose(layer(x), plain(x), atol=1e-5)


def test_tensors_that_disagree_are_refused() -> None:
    qweight, qzeros, scales = quantize(torch.randn(32, 256), 128)
    with pytest.raises(ValueError, match="AWQ tensors do not agree"):
        AwqLinear(qweight, qzeros.T.contiguous(), scales, group_size=128)


# -- the synthesized checkpoint ---------------------------------------------


@functools.cache
def awq_path() -> Path:
    from conformance.server.tiny_awq import ensure_tiny_awq_model

    return ensure_tiny_awq_model()


@functools.cache
def float_path() -> Path:
    from conformance.server.tiny_awq import ensure_tiny_float_model

    return ensure_tiny_float_model()


@functools.cache
def prompt_ids() -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(awq_path()))
    text = "<s>[INST] Tell me about the reference server and its answers. [/INST] It answers"
    return torch.tensor([tokenizer.encode(text, add_special_tokens=False)])


def logits_of(model: Any) -> Any:
    with torch.inference_mode():
        return model(input_ids=prompt_ids()).logits[0].float()


def awq_logits(path: Path) -> Any:
    from conformance.server.engines.awq_loader import load_awq_model

    return logits_of(load_awq_model(inspect_checkpoint(path), device="cpu", dtype=torch.float32))


@functools.cache
def float_logits() -> Any:
    from transformers import AutoModelForCausalLM

    return logits_of(AutoModelForCausalLM.from_pretrained(str(float_path()), dtype=torch.float32))


def relative_error(logits: Any) -> float:
    reference = float_logits()
    return float((logits - reference).norm() / reference.norm())


@pytest.mark.slow
def test_the_synthesized_checkpoint_is_laid_out_as_thebloke_s() -> None:
    from safetensors import safe_open

    checkpoint = inspect_checkpoint(awq_path())
    assert checkpoint.kind == "awq" and checkpoint.awq is not None and checkpoint.awq.group_size == 128
    with safe_open(str(awq_path() / "model.safetensors"), framework="pt") as handle:
        keys = set(handle.keys())
        qweight = handle.get_tensor("model.layers.0.mlp.down_proj.qweight")
        qzeros = handle.get_tensor("model.layers.0.mlp.down_proj.qzeros")
        scales = handle.get_tensor("model.layers.0.mlp.down_proj.scales")
        embed = handle.get_tensor("model.embed_tokens.weight")
    # down_proj: 512 inputs, 256 outputs.
    assert (qweight.dtype, tuple(qweight.shape)) == (torch.int32, (512, 32))
    assert (qzeros.dtype, tuple(qzeros.shape)) == (torch.int32, (4, 32))
    assert (scales.dtype, tuple(scales.shape)) == (torch.float16, (4, 256))
    assert embed.dtype == torch.float16
    assert "lm_head.weight" in keys and "model.layers.0.self_attn.q_proj.weight" not in keys
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json", "quant_config.json"):
        assert (awq_path() / name).is_file()


@pytest.mark.slow
def test_logits_equal_plain_linears_over_the_dequantized_weights(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    # The same weights written as an unquantized checkpoint, loaded by transformers.
    stored = load_file(str(awq_path() / "model.safetensors"))
    plain: dict[str, Any] = {}
    for name, value in stored.items():
        if name.endswith(".qweight"):
            prefix = name.removesuffix(".qweight")
            weight = dequantize(
                value, stored[f"{prefix}.qzeros"], stored[f"{prefix}.scales"], 128, torch.float32
            )
            plain[f"{prefix}.weight"] = weight.T.contiguous()
        elif not name.endswith((".qzeros", ".scales")):
            plain[name] = value.float()
    for file in float_path().iterdir():
        shutil.copyfile(file, tmp_path / file.name)
    save_file(plain, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    from transformers import AutoModelForCausalLM

    reference = logits_of(AutoModelForCausalLM.from_pretrained(str(tmp_path), dtype=torch.float32))
    difference = float((awq_logits(awq_path()) - reference).abs().max())
    assert difference <= SAME_WEIGHTS_TOLERANCE, difference


@pytest.mark.slow
def test_logits_stay_close_to_the_unquantized_model() -> None:
    error = relative_error(awq_logits(awq_path()))
    assert error <= UNQUANTIZED_TOLERANCE, f"relative L2 error {error:.3f}"


def repacked(order: tuple[int, ...]) -> Callable[[Any], Any]:
    """A corruption: the packed tensor read in AWQ's order and written back in ``order``."""
    return lambda packed: pack(unpack(packed), order=order)


def transposed(packed: Any) -> Any:
    """A corruption: zero points laid out [out, groups] and read as [groups, out]."""
    zeros = unpack(packed)
    return pack(zeros.T.contiguous().reshape(zeros.shape))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("suffix", "corrupt"),
    [
        (".qweight", repacked(SEQUENTIAL)),
        (".qweight", repacked(tuple(reversed(PACK_ORDER)))),
        (".qzeros", repacked(SEQUENTIAL)),
        (".qzeros", transposed),
    ],
    ids=[
        "qweight-sequential-nibbles",
        "qweight-reversed-nibbles",
        "qzeros-sequential-nibbles",
        "qzeros-transposed",
    ],
)
def test_a_packing_error_fails_the_comparison(
    tmp_path: Path, suffix: str, corrupt: Callable[[Any], Any]
) -> None:
    from safetensors.torch import load_file, save_file

    for file in awq_path().iterdir():
        shutil.copyfile(file, tmp_path / file.name)
    tensors = load_file(str(awq_path() / "model.safetensors"))
    broken = {name: corrupt(value) if name.endswith(suffix) else value for name, value in tensors.items()}
    save_file(broken, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    error = relative_error(awq_logits(tmp_path))
    assert error > UNQUANTIZED_TOLERANCE, f"relative L2 error {error:.3f} with {suffix} corrupted"


# -- the loader's refusals --------------------------------------------------


def copy_with(tmp_path: Path, source: Path, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Path:
    from safetensors.torch import load_file, save_file

    for file in source.iterdir():
        shutil.copyfile(file, tmp_path / file.name)
    tensors = change(load_file(str(source / "model.safetensors")))
    save_file(tensors, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    return tmp_path


@pytest.mark.slow
def test_a_missing_tensor_is_named(tmp_path: Path) -> None:
    from conformance.server.engines.awq_loader import load_awq_model

    directory = copy_with(
        tmp_path, awq_path(), lambda t: {k: v for k, v in t.items() if k != "model.norm.weight"}
    )
    with pytest.raises(CheckpointError, match=r"lack tensors the model needs: model\.norm\.weight\."):
        load_awq_model(inspect_checkpoint(directory), device="cpu", dtype=torch.float32)


@pytest.mark.slow
def test_an_awq_config_over_float_weights_is_refused(tmp_path: Path) -> None:
    from conformance.server.engines.awq_loader import load_awq_model

    directory = copy_with(tmp_path, float_path(), lambda t: t)
    shutil.copyfile(awq_path() / "config.json", directory / "config.json")
    with pytest.raises(CheckpointError, match=r"no linear layer of the model has a '\.qweight' tensor"):
        load_awq_model(inspect_checkpoint(directory), device="cpu", dtype=torch.float32)


@pytest.mark.slow
def test_the_engine_serves_the_awq_checkpoint_from_packed_weights() -> None:
    from conformance.server.engines.base import Cancellation, Finished, GenerationRequest, Piece
    from conformance.server.engines.transformers_engine import TransformersEngine

    engine = TransformersEngine.load(awq_path(), device="cpu")
    assert "AWQ GEMM 4-bit, group size 128" in engine.name and "on cpu" in engine.name
    request = GenerationRequest(prompt="Hello", max_tokens=6, seed=7)
    runs = [list(engine.generate(request, Cancellation())) for _ in range(2)]
    assert runs[0] == runs[1]
    finished = runs[0][-1]
    assert isinstance(finished, Finished) and finished.usage.completion_tokens >= 1
    assert all(isinstance(event, Piece) for event in runs[0][:-1])
