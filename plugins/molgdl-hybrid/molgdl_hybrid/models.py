"""Built-in correction modules (torch). Shapes: ``forward(u: [B, dim]) -> [B, dim]``."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

ACTIVATIONS = {"tanh": nn.Tanh, "silu": nn.SiLU, "relu": nn.ReLU}


class MLPCorrection(nn.Module):
    """``M(u) = MLP((u - mean) / std) + W u``: fixed input scaling from the training states (buffers, saved with
    the weights) and an optional linear skip ``W`` (initialised at zero)."""

    def __init__(self, dim: int, hidden: list[int], activation: str = "tanh", train_states: np.ndarray | None = None,
                 linear_skip: bool = True) -> None:
        super().__init__()
        widths = [dim, *hidden, dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        mean = np.zeros(dim) if train_states is None else np.asarray(train_states).mean(0)
        std = np.ones(dim) if train_states is None else np.asarray(train_states).std(0)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(np.where(std > 0, std, 1.0), dtype=torch.float32))
        self.skip = nn.Linear(dim, dim, bias=False) if linear_skip else None
        if self.skip is not None:
            nn.init.zeros_(self.skip.weight)

    def forward(self, u: Tensor) -> Tensor:
        out = self.net((u - self.mean) / self.std)
        return out if self.skip is None else out + self.skip(u)


class ConstantCorrection(nn.Module):
    """``M(u) = theta`` for every state."""

    def __init__(self, dim: int, init: float = 0.0) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.full((dim,), float(init)))

    def forward(self, u: Tensor) -> Tensor:
        return self.theta.to(u.dtype).expand_as(u)
