"""The ``fragtree`` encoder: atoms -> fragment inputs -> Child-Sum Tree-LSTM -> per-atom [leaf || root]."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from molgdl.errors import DataError
from molgdl.specs import FeatureDims

from .params import FragTreeParams
from .treelstm import ChildSumTreeLSTM


def batch_fragments(frag_id: Tensor, frag_parent: Tensor, graph: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-molecule fragment ids -> batch-wide ones.

    Args: frag_id, frag_parent, graph: ``[N]`` (local fragment of each atom, its parent fragment or -1, the
    atom's molecule). Returns ``(frag_of_atom [N], parent [F], frag_graph [F])`` with fragments numbered
    0..F-1 over the batch; a parent whose atoms are absent (a subgraph) counts as none (-1).
    """
    width = int(torch.maximum(frag_id.max(), frag_parent.max())) + 1 if frag_id.numel() else 1
    keys, frag_of_atom = torch.unique(graph * width + frag_id, return_inverse=True)
    n_frag = keys.numel()
    frag_graph = keys // width
    par_local = torch.full((n_frag,), -1, dtype=torch.long, device=keys.device)
    par_local = par_local.scatter_reduce(0, frag_of_atom, frag_parent, reduce="amax")
    want = frag_graph * width + par_local
    pos = torch.searchsorted(keys, want).clamp(max=max(n_frag - 1, 0))
    found = (par_local >= 0) & (keys[pos] == want)
    return frag_of_atom, torch.where(found, pos, -1), frag_graph


class FragTreeEncoder(nn.Module):
    """Node embeddings ``[N, out_dim]``, ``out_dim = 2 * hidden_dim + prototypes``.

    a_i = relu(W x_i + sum_{j in N(i), same fragment} M [x_j || e_ij]) (one message step inside fragments);
    x_f = sum_{i in f} a_i; (h_f, c_f) = ChildSumTreeLSTM(x_f, parent); node i of fragment f in molecule g gets
    [h_f || mean of g's root states || cos(h_f, p_k) for each prototype p_k].

    Shapes: batch.x [N, atom_dim], batch.edge_index [2, E], batch.edge_attr [E, bond_dim], batch.frag_id [N],
    batch.frag_parent [N] (featurizer ``fragtree2d``) -> [N, out_dim].
    """

    def __init__(self, atom_dim: int, bond_dim: int, hidden_dim: int, prototypes: int = 0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.atom_in = nn.Linear(atom_dim, hidden_dim)
        self.message = nn.Linear(atom_dim + bond_dim, hidden_dim, bias=False)
        self.tree = ChildSumTreeLSTM(hidden_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.prototypes = nn.Parameter(torch.randn(prototypes, hidden_dim)) if prototypes else None
        self.out_dim = 2 * hidden_dim + prototypes

    def forward(self, batch: Any) -> Tensor:
        if getattr(batch, "frag_id", None) is None or getattr(batch, "frag_parent", None) is None:
            raise DataError("the fragtree encoder needs the fragment tree in each graph (frag_id, frag_parent), "
                            "which this featurizer does not store",
                            hint="set `featurizer: {name: fragtree2d}` in the config")
        x, (src, dst) = batch.x, batch.edge_index
        fid = batch.frag_id
        graph = getattr(batch, "batch", None)
        if graph is None:
            graph = torch.zeros_like(fid)
        same = fid[src] == fid[dst]
        msg = self.message(torch.cat([x[src[same]], batch.edge_attr[same]], dim=-1))
        a = torch.relu(self.atom_in(x) + x.new_zeros(x.shape[0], msg.shape[1]).index_add(0, dst[same], msg))
        frag_of_atom, parent, frag_graph = batch_fragments(fid, batch.frag_parent, graph)
        n_frag = parent.numel()
        xf = self.dropout(a.new_zeros(n_frag, a.shape[1]).index_add(0, frag_of_atom, a))
        h, _ = self.tree(xf, parent)
        n_graph = int(graph.max()) + 1 if graph.numel() else 0
        roots = parent < 0
        root_sum = h.new_zeros(n_graph, h.shape[1]).index_add(0, frag_graph[roots], h[roots])
        n_roots = torch.bincount(frag_graph[roots], minlength=n_graph).clamp(min=1).unsqueeze(1)
        leaf = h[frag_of_atom]
        parts = [leaf, (root_sum / n_roots)[graph]]
        if self.prototypes is not None:
            parts.append(nn.functional.normalize(leaf, dim=-1) @ nn.functional.normalize(self.prototypes, dim=-1).T)
        return torch.cat(parts, dim=-1)


def build_fragtree(params: FragTreeParams, dims: FeatureDims) -> FragTreeEncoder:
    return FragTreeEncoder(dims.atom_dim, dims.bond_dim, params.hidden_dim, params.prototypes, params.dropout)
