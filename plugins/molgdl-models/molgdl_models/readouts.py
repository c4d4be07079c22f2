r"""Node -> molecule readouts: ``sum``, ``mean``, ``max``, ``atomwise``, gated ``attention`` and ``set2set``.

Every readout takes ``h`` :math:`(N, F)` and a PyG batch and returns :math:`(B, \text{out\_dim})` with
``B = batch.num_graphs``; graphs without atoms get zeros (sum/mean/max/attention) rather than an error.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn.aggr import AttentionalAggregation, Set2Set
from torch_geometric.utils import scatter


def graph_index(h: Tensor, batch) -> tuple[Tensor, int]:
    """``(batch.batch, batch.num_graphs)``, or one graph when ``batch`` has no ``batch`` vector.

    Shapes:
        - **output:** index :math:`(N)` int64, and the int ``B``
    """
    index = getattr(batch, "batch", None)
    if index is None:
        return torch.zeros(h.size(0), dtype=torch.long, device=h.device), 1
    return index, int(batch.num_graphs)


class PoolReadout(nn.Module):
    r"""Parameter-free pooling ``reduce`` in ``{"sum", "mean", "max"}`` over the atoms of each molecule.

    Shapes:
        - **input:** h :math:`(N, F)`, batch with ``batch`` :math:`(N)` and ``num_graphs`` = B
        - **output:** :math:`(B, F)`
    """

    def __init__(self, in_dim: int, reduce: str) -> None:
        super().__init__()
        if reduce not in ("sum", "mean", "max"):
            raise ValueError(f"unknown pooling {reduce!r}")
        self.reduce = reduce
        self.out_dim = in_dim

    def forward(self, h: Tensor, batch) -> Tensor:
        index, num_graphs = graph_index(h, batch)
        return scatter(h, index, dim=0, dim_size=num_graphs, reduce=self.reduce)

    def extra_repr(self) -> str:
        return f"reduce={self.reduce}, out_dim={self.out_dim}"


class AtomwiseReadout(nn.Module):
    r"""Per-atom MLP, then a sum (or mean) over the atoms of each molecule: SchNetPack's ``Atomwise`` and
    NequIP's per-atom energies.

    .. math:: r_g = \sum_{i \in g} \mathrm{MLP}(h_i)

    With a linear head (``head: {num_layers: 1}``) the prediction is a sum of atomic contributions
    (an extensive energy whose forces are sums of per-atom terms), instead of an MLP of the summed embeddings.

    Shapes:
        - **input:** h :math:`(N, F)`, batch with ``batch`` :math:`(N)` and ``num_graphs`` = B
        - **output:** :math:`(B, F_{out})`
    """

    def __init__(self, in_dim: int, hidden_dim: int = 64, out_dim: int | None = None, num_layers: int = 2,
                 reduce: str = "sum") -> None:
        super().__init__()
        self.out_dim = out_dim or in_dim
        widths = [in_dim] + [hidden_dim] * (num_layers - 1) + [self.out_dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers += [nn.Linear(a, b)] + ([nn.SiLU()] if i < num_layers - 1 else [])
        self.mlp = nn.Sequential(*layers)
        self.pool = PoolReadout(self.out_dim, reduce)

    def forward(self, h: Tensor, batch) -> Tensor:
        return self.pool(self.mlp(h), batch)


class AttentionReadout(nn.Module):
    r"""Gated attention pooling (Li et al. 2016), PyG ``AttentionalAggregation``:

    .. math:: r_g = \sum_{i \in g} \mathrm{softmax}_{i \in g}\big(\mathrm{gate}(h_i)\big)\, f(h_i)

    with ``gate`` :math:`F \to H \to 1` and ``f`` :math:`F \to H \to F_{out}` two-layer MLPs.

    Shapes:
        - **input:** h :math:`(N, F)`, batch with ``batch`` :math:`(N)` and ``num_graphs`` = B
        - **output:** :math:`(B, F_{out})`
    """

    def __init__(self, in_dim: int, hidden_dim: int = 128, out_dim: int | None = None) -> None:
        super().__init__()
        self.out_dim = out_dim or in_dim
        gate = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))
        feat = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, self.out_dim))
        self.pool = AttentionalAggregation(gate_nn=gate, nn=feat)

    def forward(self, h: Tensor, batch) -> Tensor:
        index, num_graphs = graph_index(h, batch)
        return self.pool(h, index, dim_size=num_graphs)


class Set2SetReadout(nn.Module):
    r"""Set2Set pooling (Vinyals et al. 2016), PyG ``Set2Set``; output width ``2 * in_dim``.

    Shapes:
        - **input:** h :math:`(N, F)`, batch with ``batch`` :math:`(N)` and ``num_graphs`` = B
        - **output:** :math:`(B, 2F)`
    """

    def __init__(self, in_dim: int, processing_steps: int = 3) -> None:
        super().__init__()
        self.pool = Set2Set(in_dim, processing_steps)
        self.out_dim = 2 * in_dim

    def forward(self, h: Tensor, batch) -> Tensor:
        index, num_graphs = graph_index(h, batch)
        return self.pool(h, index, dim_size=num_graphs)


def build_sum(params, in_dim: int) -> PoolReadout:
    return PoolReadout(in_dim, "sum")


def build_mean(params, in_dim: int) -> PoolReadout:
    return PoolReadout(in_dim, "mean")


def build_max(params, in_dim: int) -> PoolReadout:
    return PoolReadout(in_dim, "max")


def build_atomwise(params, in_dim: int) -> AtomwiseReadout:
    return AtomwiseReadout(in_dim, hidden_dim=params.hidden_dim, out_dim=params.out_dim,
                           num_layers=params.num_layers, reduce=params.reduce)


def build_attention(params, in_dim: int) -> AttentionReadout:
    return AttentionReadout(in_dim, hidden_dim=params.hidden_dim, out_dim=params.out_dim)


def build_set2set(params, in_dim: int) -> Set2SetReadout:
    return Set2SetReadout(in_dim, processing_steps=params.processing_steps)
