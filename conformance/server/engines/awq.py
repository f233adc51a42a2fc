"""AWQ's GEMM weight format, packed and unpacked, and a linear layer that computes from it.

The format (AutoAWQ's ``WQLinear_GEMM``, as TheBloke's checkpoints store it),
for a linear layer with ``in`` inputs, ``out`` outputs and group size ``g``:

- ``qweight`` int32 ``[in, out / 8]``: the 4-bit weights of the *transposed*
  matrix, eight output columns per int32;
- ``qzeros`` int32 ``[in / g, out / 8]``: the 4-bit zero point of each group
  of ``g`` inputs, packed the same way;
- ``scales`` float16 ``[in / g, out]``.

``W.T[i, o] = (q[i, o] - z[i // g, o]) * s[i // g, o]``.

Eight columns share a word in an interleaved order: nibble ``k`` (bits
``4k .. 4k+3``) holds column ``PACK_ORDER[k]`` of the eight, so columns
0..7 holding the values 0..7 pack to ``0x75316420``. The order comes from
AutoAWQ's GEMM kernel, which unpacks two halves of a word at once.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

PACK_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)
"""Nibble k of a packed word holds column PACK_ORDER[k] of its eight columns."""

UNPACK_ORDER = tuple(PACK_ORDER.index(column) for column in range(8))
"""Column j of eight lives in nibble UNPACK_ORDER[j] (0, 4, 1, 5, 2, 6, 3, 7)."""

_BITS = 4
_MAX_Q = (1 << _BITS) - 1


def pack(values: torch.Tensor, order: tuple[int, ...] = PACK_ORDER) -> torch.Tensor:
    """Integers 0..15 of shape ``[rows, cols]`` into int32 ``[rows, cols / 8]``, in AWQ's nibble order.

    >>> hex(pack(torch.arange(8).reshape(1, 8)).item())
    '0x75316420'
    """
    rows, cols = values.shape
    if cols % 8:
        raise ValueError(f"AWQ packs 8 columns per int32; {cols} columns is not a multiple of 8")
    grouped = values.to(torch.int64).reshape(rows, cols // 8, 8)[..., list(order)]
    shifts = torch.arange(0, 32, _BITS, dtype=torch.int64, device=values.device)
    words = (grouped << shifts).sum(dim=-1)
    # The word is unsigned 32-bit; int32 stores the upper half as negatives.
    words = torch.where(words >= 1 << 31, words - (1 << 32), words)
    return words.to(torch.int32)


def unpack(packed: torch.Tensor, order: tuple[int, ...] = UNPACK_ORDER) -> torch.Tensor:
    """int32 ``[rows, cols / 8]`` back to integers 0..15 ``[rows, cols]`` (int32), undoing `pack`."""
    nibbles = _nibbles(packed)
    return nibbles[list(order)].permute(1, 2, 0).reshape(packed.shape[0], -1)


def _nibbles(packed: torch.Tensor) -> torch.Tensor:
    """``[8, rows, words]``: nibble k of every word in slice k (columns ``8 w + PACK_ORDER[k]``).

    Nibble-major keeps every elementwise pass over long contiguous rows; a
    trailing axis of 8 runs several times slower on CPU.
    """
    shifts = torch.arange(0, 32, _BITS, dtype=torch.int32, device=packed.device).view(8, 1, 1)
    return (packed.unsqueeze(0) >> shifts) & _MAX_Q


def quantize(weight: torch.Tensor, group_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """An ``nn.Linear`` weight ``[out, in]`` to ``(qweight, qzeros, scales)`` by round-to-nearest.

    Per group of ``group_size`` inputs and per output: ``scale = (max - min) / 15``
    (in float16, as stored), ``zero = round(-min / scale)``, ``q = round(w / scale) + zero``,
    each clamped to 0..15: AutoAWQ's zero-point quantizer. AWQ proper first
    rescales channels by activation statistics; the stored format is the same.
    """
    out_features, in_features = weight.shape
    if in_features % group_size:
        raise ValueError(f"{in_features} inputs do not split into groups of {group_size}")
    groups = weight.detach().to(torch.float32).T.reshape(in_features // group_size, group_size, out_features)
    low, high = groups.amin(dim=1), groups.amax(dim=1)
    scales = ((high - low).clamp(min=1e-5) / _MAX_Q).to(torch.float16)
    step = scales.to(torch.float32)
    zeros = torch.round(-low / step).clamp(0, _MAX_Q)
    q = (torch.round(groups / step[:, None, :]) + zeros[:, None, :]).clamp(0, _MAX_Q)
    return pack(q.reshape(in_features, out_features)), pack(zeros), scales


def dequantize(
    qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor, group_size: int, dtype: torch.dtype
) -> torch.Tensor:
    """The transposed weight ``W.T`` ``[in, out]`` in ``dtype``, from the packed tensors."""
    weight = _nibble_major_weight(qweight, qzeros, scales, group_size, dtype)
    return weight[list(UNPACK_ORDER)].permute(1, 2, 0).reshape(weight.shape[1], -1)


def _nibble_major_weight(
    qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor, group_size: int, dtype: torch.dtype
) -> torch.Tensor:
    """``W.T`` as ``[8, in, out / 8]``: slice k holds the columns of nibble k (see `_nibbles`)."""
    groups, out_features = scales.shape
    words = out_features // 8
    q = _nibbles(qweight).to(dtype).view(8, groups, group_size, words)
    steps = scales.to(dtype).view(groups, words, 8)[..., list(PACK_ORDER)].permute(2, 0, 1)
    # (q - z) * s as q * s - z * s: the second term is per group, computed once.
    offsets = _nibbles(qzeros).to(dtype) * steps
    return (q * steps[:, :, None, :] - offsets[:, :, None, :]).view(8, groups * group_size, words)


class AwqLinear(nn.Module):
    """``nn.Linear`` over AWQ GEMM weights, kept packed: each forward unpacks this layer's weight only.

    Memory is the packed size (about a quarter of float16) plus one layer's
    float weight while it computes. Unpacking is plain torch, so the layer
    runs wherever its buffers are (CPU in float32, CUDA in float16).

    >>> layer = AwqLinear(*quantize(torch.randn(16, 128), 128), group_size=128)
    >>> layer(torch.randn(2, 128)).shape
    torch.Size([2, 16])
    """

    qweight: torch.Tensor
    qzeros: torch.Tensor
    scales: torch.Tensor
    bias: torch.Tensor | None

    def __init__(
        self,
        qweight: torch.Tensor,
        qzeros: torch.Tensor,
        scales: torch.Tensor,
        *,
        group_size: int,
        bias: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        in_features, packed_out = qweight.shape
        out_features = packed_out * 8
        groups = in_features // group_size
        if (
            in_features % group_size
            or qzeros.shape != (groups, packed_out)
            or scales.shape
            != (
                groups,
                out_features,
            )
        ):
            raise ValueError(
                f"AWQ tensors do not agree: qweight {tuple(qweight.shape)}, qzeros {tuple(qzeros.shape)}, "
                f"scales {tuple(scales.shape)}, group size {group_size}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.group_size = group_size
        self.register_buffer("qweight", qweight)
        self.register_buffer("qzeros", qzeros)
        self.register_buffer("scales", scales)
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = _nibble_major_weight(self.qweight, self.qzeros, self.scales, self.group_size, x.dtype)
        # Eight products, one per nibble, then the columns back in order: the
        # reordering touches the small output, never the weight.
        by_nibble = (x.unsqueeze(-3) @ weight).movedim(-3, -1)
        out = by_nibble[..., list(UNPACK_ORDER)].flatten(-2)
        if self.bias is not None:
            out = out + self.bias.to(x.dtype)
        return out

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, group_size={self.group_size}"
        )


def awq_linear_from(tensors: dict[str, Any], prefix: str, group_size: int) -> AwqLinear:
    """The layer over ``{prefix}.qweight``, ``.qzeros``, ``.scales`` (and ``.bias``) of ``tensors``."""
    return AwqLinear(
        tensors[f"{prefix}.qweight"],
        tensors[f"{prefix}.qzeros"],
        tensors[f"{prefix}.scales"],
        group_size=group_size,
        bias=tensors.get(f"{prefix}.bias"),
    )
