r"""GINE encoder (Hu et al. 2020): a stack of PyG ``GINEConv`` layers with bond features.

Layer :math:`\ell`:

.. math::
    x'_i = \mathrm{MLP}\Big((1 + \epsilon)\, x_i + \sum_{j \in N(i)} \mathrm{ReLU}(x_j + W_e e_{ji})\Big),
    \qquad x_i \leftarrow \mathrm{dropout}(\mathrm{ReLU}(\mathrm{norm}(x'_i))) \; [+\, x_i]

with an input projection of the atom features to ``hidden_dim``.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import GINEConv

from molgdl.errors import DataError
from molgdl.specs import FeatureDims


def _norm(kind: str, dim: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(dim)
    if kind == "layer":
        return nn.LayerNorm(dim)
    return nn.Identity()


class GINEEncoder(nn.Module):
    r"""Stack of ``GINEConv`` layers.

    Args:
        atom_dim: width of ``batch.x``.
        bond_dim: width of ``batch.edge_attr`` (0: GIN without bond features).
        hidden_dim: node state width (= ``out_dim``).
        num_layers: number of convolutions.
        dropout: dropout after every layer.
        norm: ``"batch"``, ``"layer"`` or ``"none"``.
        train_eps: learn :math:`\epsilon`.
        residual: add each layer's input to its output.

    Shapes:
        - **input:** batch with ``x`` :math:`(N, F_v)`, ``edge_index`` :math:`(2, E)`,
          ``edge_attr`` :math:`(E, F_e)`
        - **output:** :math:`(N, \text{hidden\_dim})`
    """

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        hidden_dim: int = 300,
        num_layers: int = 5,
        dropout: float = 0.0,
        norm: str = "batch",
        train_eps: bool = False,
        residual: bool = True,
    ) -> None:
        super().__init__()
        self.atom_dim = atom_dim
        self.bond_dim = bond_dim
        self.out_dim = hidden_dim
        self.residual = residual
        self.input = nn.Linear(atom_dim, hidden_dim)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for _ in range(num_layers):
            mlp = nn.Sequential(
                nn.Linear(hidden_dim, hidden_dim),
                _norm(norm, hidden_dim),
                nn.ReLU(),
                nn.Linear(hidden_dim, hidden_dim),
            )
            self.convs.append(GINEConv(mlp, train_eps=train_eps, edge_dim=bond_dim if bond_dim > 0 else None))
            self.norms.append(_norm(norm, hidden_dim))
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, batch) -> Tensor:
        x: Tensor = batch.x
        edge_index: Tensor = batch.edge_index
        if x.size(-1) != self.atom_dim:
            raise DataError(
                f"gine: batch.x has {x.size(-1)} atom features, the model was built for {self.atom_dim}",
                hint="rebuild the model with the featurizer's FeatureDims",
            )
        edge_attr = getattr(batch, "edge_attr", None)
        if self.bond_dim == 0:
            edge_attr = None
        elif edge_attr is None or edge_attr.size(-1) != self.bond_dim:
            got = None if edge_attr is None else edge_attr.size(-1)
            raise DataError(
                f"gine: batch.edge_attr has {got} bond features, expected {self.bond_dim}",
                hint="rebuild the model with the featurizer's FeatureDims",
            )
        h = self.input(x)
        for conv, norm in zip(self.convs, self.norms):
            if edge_attr is None:  # plain GIN: a zero bond term
                out = conv(h, edge_index, h.new_zeros(edge_index.size(1), h.size(-1)))
            else:
                out = conv(h, edge_index, edge_attr)
            out = self.dropout(self.act(norm(out)))
            h = h + out if self.residual else out
        return h


def build_gine(params, dims: FeatureDims) -> GINEEncoder:
    """Factory of the ``gine`` encoder."""
    return GINEEncoder(
        atom_dim=dims.atom_dim,
        bond_dim=dims.bond_dim,
        hidden_dim=params.hidden_dim,
        num_layers=params.num_layers,
        dropout=params.dropout,
        norm=params.norm,
        train_eps=params.train_eps,
        residual=params.residual,
    )
