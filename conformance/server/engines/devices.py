"""Which torch device a model runs on: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.

`parse_device` checks the spelling without importing torch (the CLI calls
it while parsing options); `resolve_device` asks torch whether the device
exists, so ``--device cuda`` on a machine without CUDA is refused with a
sentence rather than failing inside the first forward pass.
"""

from __future__ import annotations

import re

from conformance.errors import UsageError

DEVICES = "auto, cpu, cuda or cuda:N"
_SPELLING = re.compile(r"auto|cpu|cuda(:\d+)?")


def parse_device(spec: str) -> str:
    """``spec`` if it is one of `DEVICES`, else `UsageError`.

    >>> parse_device("cuda:1")
    'cuda:1'
    """
    if not _SPELLING.fullmatch(spec):
        raise UsageError(f"not a device; use {DEVICES}.")
    return spec


def resolve_device(spec: str) -> str:
    """The concrete device for ``spec``: ``auto`` is ``cuda`` when torch sees a GPU, else ``cpu``."""
    import torch

    parse_device(spec)
    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return spec
    if not torch.cuda.is_available():
        raise UsageError(f"torch {torch.__version__} sees no CUDA device here; use cpu (or auto).")
    index = int(spec.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise UsageError(f"torch sees {count} CUDA device(s) here: cuda:0 to cuda:{count - 1}.")
    return spec
