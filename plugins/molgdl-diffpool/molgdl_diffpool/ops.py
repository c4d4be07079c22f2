r"""DiffPool maths as plain functions (Ying et al. 2018, arXiv:1806.08804, eqs. 3-4 and sec. 3.3).

With ``B`` graphs padded to ``N`` nodes (``mask`` marks the real ones) and ``K`` clusters:

.. math::
    S = \mathrm{softmax}_{\rm row}(\mathrm{logits}) \odot \mathrm{mask}, \quad
    X' = S^\top Z, \quad A' = S^\top A S,

    L_{\rm link}(g) = \lVert A_g - S_g S_g^\top \rVert_F / n_g, \qquad
    L_{\rm ent}(g) = \frac{1}{n_g} \sum_{i \le n_g} H(S_{g,i}).

Both losses are computed *per graph* (``n_g`` real nodes; the link loss is the root-mean-square error over
the ``n_g^2`` real entries) and returned as ``[B]`` vectors; callers average them over graphs. PyG's
``dense_diff_pool`` instead takes one Frobenius norm over the whole padded batch divided by ``B N^2``,
which makes a molecule's loss depend on its batch mates. Padded rows of ``S`` are exactly zero, so padding
never receives cluster mass, and padded rows/columns of ``A`` are zero.
"""

from __future__ import annotations

import torch
from torch import Tensor

from molgdl.errors import DataError, TrainingError

ENTROPY_EPS = 1e-15  # as PyG: log(s + eps); with a one-hot row the entropy is exactly 0 in float32/64


def masked_assignment(logits: Tensor, mask: Tensor) -> Tensor:
    """Row softmax of the assignment logits, zero on padded rows.

    Shapes:
        - **input:** logits :math:`(B, N, K)`, mask :math:`(B, N)` bool
        - **output:** S :math:`(B, N, K)`, rows sum to 1 (real nodes) or 0 (padding)
    """
    return torch.softmax(logits, dim=-1) * mask.unsqueeze(-1).to(logits.dtype)


def pool(z: Tensor, adj: Tensor, s: Tensor) -> tuple[Tensor, Tensor]:
    r"""Coarsen: :math:`X' = S^\top Z`, :math:`A' = S^\top A S`.

    Shapes:
        - **input:** z :math:`(B, N, F)`, adj :math:`(B, N, N)`, s :math:`(B, N, K)`
        - **output:** x' :math:`(B, K, F)`, adj' :math:`(B, K, K)`
    """
    st = s.transpose(1, 2)
    return st @ z, st @ adj @ s


def link_loss(adj: Tensor, s: Tensor, mask: Tensor) -> Tensor:
    r"""Per-graph link-prediction loss :math:`\lVert A_g - S_g S_g^\top \rVert_F / n_g` (0 for empty graphs).

    The square root has a zero gradient where the residual is exactly 0 (no NaN).

    Shapes:
        - **input:** adj :math:`(B, N, N)`, s :math:`(B, N, K)` (zero padded rows), mask :math:`(B, N)`
        - **output:** :math:`(B)`
    """
    diff = adj - s @ s.transpose(1, 2)
    diff = diff * (mask.unsqueeze(-1) & mask.unsqueeze(-2)).to(diff.dtype)
    sq = diff.pow(2).sum(dim=(1, 2))
    norm = torch.where(sq > 0, sq.clamp_min(torch.finfo(sq.dtype).tiny).sqrt(), torch.zeros_like(sq))
    n = mask.sum(-1).to(sq.dtype)
    return norm / n.clamp(min=1)


def entropy_loss(s: Tensor, mask: Tensor) -> Tensor:
    r"""Per-graph mean row entropy :math:`\frac{1}{n_g}\sum_i -\sum_k S_{ik}\log S_{ik}` (nats).

    Shapes:
        - **input:** s :math:`(B, N, K)` (zero padded rows), mask :math:`(B, N)`
        - **output:** :math:`(B)`
    """
    rows = -(s * torch.log(s + ENTROPY_EPS)).sum(-1) * mask.to(s.dtype)
    return rows.sum(-1) / mask.sum(-1).to(s.dtype).clamp(min=1)


def check_dense_size(num_graphs: int, max_nodes: int, limit: int) -> None:
    """Raise ``TrainingError`` when a dense ``[B, N, N]`` adjacency would exceed ``limit`` entries."""
    entries = num_graphs * max_nodes * max_nodes
    if entries > limit:
        gib = entries * 4 / 2**30
        raise TrainingError(
            f"diffpool: the dense batch needs batch_size x max_atoms^2 = {num_graphs} x {max_nodes}^2 = "
            f"{entries:,} adjacency entries (~{gib:.2f} GiB per float32 copy; DiffPool keeps several), more than "
            f"readout.max_dense_entries = {limit:,}",
            hint=f"lower trainer.batch_size (at most {max(1, limit // max(1, max_nodes * max_nodes))} fits for "
            f"{max_nodes}-atom molecules), drop molecules larger than ~{int((limit / max(1, num_graphs)) ** 0.5)} "
            "atoms from the data, or raise readout.max_dense_entries if the memory is there",
        )


def dense_graph(h: Tensor, index: Tensor, num_graphs: int, edge_index: Tensor | None, *,
                self_loops: bool, max_entries: int) -> tuple[Tensor, Tensor, Tensor]:
    """Padded node features, binary adjacency and node mask of a batch.

    Args:
        h: node features, rows grouped by graph (``index`` sorted, as in a PyG batch).
        index: graph of every node.
        edge_index: directed edges (both directions present for an undirected graph), or ``None``.
        self_loops: set the diagonal of the adjacency of real nodes to 1.
        max_entries: memory guard, see ``check_dense_size``.

    Shapes:
        - **input:** h :math:`(N_{tot}, F)`, index :math:`(N_{tot})`, edge_index :math:`(2, E)`
        - **output:** x :math:`(B, N, F)`, adj :math:`(B, N, N)`, mask :math:`(B, N)` bool
    """
    from torch_geometric.utils import to_dense_adj, to_dense_batch

    if index.numel() and bool((index[1:] < index[:-1]).any()):
        raise DataError("diffpool: the nodes of the batch are not grouped by graph (batch.batch is not sorted)",
                        hint="batch graphs with torch_geometric's DataLoader / Batch.from_data_list")
    counts = torch.bincount(index, minlength=num_graphs)
    n_max = int(counts.max()) if counts.numel() else 0
    check_dense_size(num_graphs, max(n_max, 1), max_entries)
    x, mask = to_dense_batch(h, index, batch_size=num_graphs, max_num_nodes=max(n_max, 1))
    if edge_index is None or edge_index.numel() == 0:
        adj = h.new_zeros(num_graphs, x.size(1), x.size(1))
    else:
        adj = to_dense_adj(edge_index, index, max_num_nodes=x.size(1), batch_size=num_graphs).to(h.dtype)
        adj = (adj > 0).to(h.dtype)  # multi-edges count once
        adj = torch.maximum(adj, adj.transpose(1, 2))  # undirected (a capped radius graph may be one-sided)
    if self_loops:
        adj = adj + torch.diag_embed(mask.to(h.dtype)) * (1 - torch.diagonal(adj, dim1=1, dim2=2)).unsqueeze(-1)
    return x, adj, mask
