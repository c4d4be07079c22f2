"""Initial densities of the benchmark cases (methods.md Sec. 7; ``inicond.m`` of CMM_VP_Matlab).

Each is a function of ``(x, v)`` tensors of any (equal) shape returning f of that shape.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

CASES = ("landau", "two_stream")


def landau(x: Tensor, v: Tensor, *, k: float, epsilon: float) -> Tensor:
    """``(1 + eps cos kx) exp(-v^2/2) / sqrt(2 pi)``: linear Landau for small eps, nonlinear for 0.5."""
    return (1 + epsilon * torch.cos(k * x)) * torch.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)


def two_stream(x: Tensor, v: Tensor, *, k: float, epsilon: float, v0: float) -> Tensor:
    """``(1 + eps cos kx) [exp(-(v - v0)^2/2) + exp(-(v + v0)^2/2)] / (2 sqrt(2 pi))``."""
    bumps = torch.exp(-0.5 * (v - v0) ** 2) + torch.exp(-0.5 * (v + v0) ** 2)
    return (1 + epsilon * torch.cos(k * x)) * bumps / (2 * math.sqrt(2 * math.pi))


def initial_density(name: str, k: float, epsilon: float, v0: float = 3.0):
    """The initial density of case ``name`` (one of ``CASES``) as a function of ``(x, v)``."""
    if name == "landau":
        return partial(landau, k=k, epsilon=epsilon)
    if name == "two_stream":
        return partial(two_stream, k=k, epsilon=epsilon, v0=v0)
    raise ValueError(f"unknown case {name!r}; choose one of {', '.join(CASES)}")
