"""The device a trained model predicts new molecules on (``molgdl predict --device``, ``Run.predict(device=)``).

``auto`` takes the first CUDA GPU when torch sees one, else the CPU; ``cuda:N`` names one GPU of several (one
process per GPU, each scoring a shard, uses them all: docs/screening.md). Featurization stays on the CPU's
process pool either way; classical models (LightGBM, forests, Gaussian processes) always run on the CPU.
"""

from __future__ import annotations

import re

from molgdl.errors import ConfigError

VALID = "auto, cpu, cuda, cuda:N (N = 0, 1, ...), mps"


def resolve_device(name: str) -> str:
    """``"cpu"``, ``"cuda:N"`` or ``"mps"`` for a device name a user gives; a device this machine lacks is refused
    with what it has."""
    import torch

    given = str(name).strip().lower()
    if given == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if given == "cpu":
        return "cpu"
    if given == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError("--device mps: torch sees no Apple GPU (MPS) on this machine",
                              hint="use --device cpu, or auto (a GPU when there is one)")
        return "mps"
    cuda = re.fullmatch(r"(?:cuda|gpu)(?::(\d+))?", given)
    if cuda is None:
        raise ConfigError(f"--device {name!r} is not a device; valid: {VALID}", hint="e.g. --device cuda:0, or auto")
    if not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: torch sees no CUDA GPU on this machine (torch {torch.__version__}, "
                          f"built {'without CUDA' if torch.version.cuda is None else 'for CUDA ' + torch.version.cuda})",
                          hint="use --device cpu, or auto (a GPU when there is one)")
    index, count = int(cuda.group(1) or 0), torch.cuda.device_count()
    if index >= count:
        raise ConfigError(f"--device {name}: this machine has {count} CUDA GPU{'s' if count != 1 else ''}, "
                          f"numbered 0 to {count - 1}", hint=f"use --device cuda:0 ... cuda:{count - 1}")
    return f"cuda:{index}"
