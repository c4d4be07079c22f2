"""Atom-type embedding: one-hot over atomic numbers, then a linear map to invariant scalars (``0e``)."""

from __future__ import annotations

import torch
from e3nn import o3
from torch import Tensor, nn


class AtomTypeEmbedding(nn.Module):
    r""":math:`h^{(0)}_i = W^\top \mathrm{onehot}(z_i)`, i.e. row ``z_i`` of ``W`` (a table look-up, the same
    map as the one-hot matrix product, without materialising the one-hot matrix).

    ``W`` is drawn from :math:`\mathcal{N}(0, 1)` so that the scalars have unit variance (e3nn's
    ``normalization='component'``). Row 0 exists but no atom uses it.

    Shapes:
        - **input:** z :math:`(N)` int64, ``0 <= z < num_types``
        - **output:** :math:`(N, \text{num\_features})`, irreps ``num_features x 0e``
    """

    def __init__(self, num_types: int, num_features: int) -> None:
        super().__init__()
        self.num_types = num_types
        self.irreps_in = o3.Irreps(f"{num_types}x0e")
        self.irreps_out = o3.Irreps(f"{num_features}x0e")
        self.weight = nn.Parameter(torch.randn(num_types, num_features))

    def forward(self, z: Tensor) -> Tensor:
        return self.weight.index_select(0, z)
