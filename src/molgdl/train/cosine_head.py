"""Cosine-similarity output layer (Gidaris & Komodakis 2018; Chen et al. 2019 "A closer look at few-shot
classification"; the cosine box classifier of TFA, Wang et al. 2020): ``out_t = s * cos(z, w_t) + b_t``."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CosineLinear(nn.Module):
    """``forward(z [B, in_dim]) -> [B, out_dim]``: scale * <z/|z|, w_t/|w_t|> + b_t, with a learned scale
    (initial ``scale``). Bounded outputs in [-s + b, s + b], insensitive to the norm of the representation."""

    def __init__(self, in_dim: int, out_dim: int, scale: float = 10.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.scale = nn.Parameter(torch.tensor(float(scale)))

    def forward(self, z: Tensor) -> Tensor:
        cos = nn.functional.normalize(z, dim=-1, eps=1e-8) @ nn.functional.normalize(self.weight, dim=-1).T
        return self.scale * cos + self.bias
