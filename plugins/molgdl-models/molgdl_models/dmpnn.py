r"""Directed message passing neural network (D-MPNN; Yang et al. 2019) as chemprop v2's BondMessagePassing.

Hidden states live on directed bonds ``v -> w`` (edge ``e`` with ``edge_index[:, e] = (v, w)``; its reverse
``w -> v`` is edge ``e ^ 1`` by the molgdl graph contract):

.. math::
    h^0_{vw} &= W_i [x_v \,\|\, e_{vw}], \qquad h^{(1)}_{vw} = \tau(h^0_{vw}) \\
    m^{(t)}_{vw} &= \sum_{k \in N(v)} h^{(t)}_{kv} - h^{(t)}_{wv} \\
    h^{(t+1)}_{vw} &= \mathrm{dropout}(\tau(h^0_{vw} + W_h m^{(t)}_{vw})), \qquad t = 1 .. \mathrm{depth}-1 \\
    a_v &= \mathrm{dropout}(\tau(W_o [x_v \,\|\, \textstyle\sum_{k \in N(v)} h_{kv}]))

Note that, as in chemprop, the update adds the pre-activation :math:`h^0` and ``depth`` counts the
initial bond state, so ``depth=3`` performs two message-passing updates. An atom without bonds gets
:math:`\tau(W_o [x_v \| 0])`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from molgdl.errors import DataError
from molgdl.specs import FeatureDims

from .activations import get_activation


def _reversed(h: Tensor) -> Tensor:
    """Rows ``e ^ 1`` of ``h`` ``[E, H]``: each directed bond's state moved to its reverse (a pair swap, no gather)."""
    return h.view(-1, 2, h.size(1)).flip(1).reshape(h.shape)


def reverse_edge_index(num_edges: int, device: torch.device) -> Tensor:
    """Index of the reverse of every directed edge under the molgdl contract (``e ^ 1``).

    Shapes:
        - **output:** :math:`(E)` int64
    """
    return torch.arange(num_edges, device=device) ^ 1


class DMPNNEncoder(nn.Module):
    r"""Bond-centred message passing encoder producing atom embeddings.

    Args:
        atom_dim: width of ``batch.x``.
        bond_dim: width of ``batch.edge_attr`` (0: bonds carry no features).
        hidden_dim: width of bond and atom hidden states (= ``out_dim``).
        depth: number of bond hidden states (``depth - 1`` message updates, chemprop convention).
        dropout: dropout probability after each bond update and after ``W_o``.
        bias: bias in ``W_i`` and ``W_h``.
        activation: name of :math:`\tau`.
        undirected: average both directions of a bond before each message step.

    Shapes:
        - **input:** batch with ``x`` :math:`(N, F_v)`, ``edge_index`` :math:`(2, E)` (E even, paired),
          ``edge_attr`` :math:`(E, F_e)`
        - **output:** :math:`(N, \text{hidden\_dim})`
    """

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        hidden_dim: int = 300,
        depth: int = 3,
        dropout: float = 0.0,
        bias: bool = False,
        activation: str = "relu",
        undirected: bool = False,
    ) -> None:
        super().__init__()
        self.atom_dim = atom_dim
        self.bond_dim = bond_dim
        self.hidden_dim = hidden_dim
        self.out_dim = hidden_dim
        self.depth = depth
        self.undirected = undirected
        self.W_i = nn.Linear(atom_dim + bond_dim, hidden_dim, bias=bias)
        self.W_h = nn.Linear(hidden_dim, hidden_dim, bias=bias)
        self.W_o = nn.Linear(atom_dim + hidden_dim, hidden_dim)
        self.tau = get_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self._pairing_checked = False

    def _check_graph(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> None:
        if x.size(-1) != self.atom_dim:
            raise DataError(
                f"dmpnn: batch.x has {x.size(-1)} atom features, the model was built for {self.atom_dim}",
                hint="rebuild the model with the featurizer's FeatureDims",
            )
        if edge_attr.size(-1) != self.bond_dim:
            raise DataError(
                f"dmpnn: batch.edge_attr has {edge_attr.size(-1)} bond features, expected {self.bond_dim}",
                hint="rebuild the model with the featurizer's FeatureDims",
            )
        num_edges = edge_index.size(1)
        if num_edges % 2:
            raise DataError(
                f"dmpnn: the batch has an odd number of directed edges ({num_edges})",
                hint="the featurizer must store both directions of every bond as columns (2k, 2k+1)",
            )
        if not self._pairing_checked and num_edges:
            rev = reverse_edge_index(num_edges, edge_index.device)
            if not bool((edge_index[:, rev] == edge_index.flip(0)).all()):
                raise DataError(
                    "dmpnn: edge_index columns 2k and 2k+1 are not the two directions of one bond",
                    hint="the featurizer must store bond (u, v) as columns 2k = (u, v) and 2k+1 = (v, u)",
                )
            self._pairing_checked = True  # checked on the first batch only (avoids a sync per step)

    def forward(self, batch) -> Tensor:
        x: Tensor = batch.x
        edge_index: Tensor = batch.edge_index
        num_nodes, num_edges = x.size(0), edge_index.size(1)
        edge_attr = getattr(batch, "edge_attr", None)
        if edge_attr is None:
            edge_attr = x.new_zeros(num_edges, 0)
        self._check_graph(x, edge_index, edge_attr)

        src, dst = edge_index[0], edge_index[1]
        # every weight is applied by calling its nn.Linear (per-molecule gradients hook the modules' inputs and
        # output gradients, molgdl_coherence.pergrad)
        h0 = self.W_i(torch.cat([x.index_select(0, src), edge_attr], dim=1))  # [E, H], pre-activation
        h = self.tau(h0)
        for _ in range(1, self.depth):
            if self.undirected:
                h = (h + _reversed(h)) / 2
            incoming = h.new_zeros(num_nodes, h.size(1)).index_add_(0, dst, h)  # [N, H]
            m = incoming.index_select(0, src).sub_(_reversed(h))  # sum over k in N(v) of h_kv, minus h_wv
            h = self.dropout(self.tau(self.W_h(m).add_(h0)))

        incoming = h.new_zeros(num_nodes, h.size(1)).index_add_(0, dst, h)  # zeros for isolated atoms
        return self.dropout(self.tau(self.W_o(torch.cat([x, incoming], dim=1))))


def build_dmpnn(params, dims: FeatureDims) -> DMPNNEncoder:
    """Factory of the ``dmpnn`` encoder."""
    return DMPNNEncoder(
        atom_dim=dims.atom_dim,
        bond_dim=dims.bond_dim,
        hidden_dim=params.hidden_dim,
        depth=params.depth,
        dropout=params.dropout,
        bias=params.bias,
        activation=params.activation,
        undirected=params.undirected,
    )
