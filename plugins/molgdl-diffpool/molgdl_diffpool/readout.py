r"""The DiffPool readout module: dense GNNs + soft cluster assignment, level by level (Ying et al. 2018).

Per level :math:`l` on the current dense, masked graph :math:`(X^{(l)}, A^{(l)})`:

.. math::
    Z = \mathrm{GNN}_{\rm embed}(X, A), \quad S = \mathrm{softmax}(\mathrm{GNN}_{\rm assign}(X, A)), \quad
    X^{(l+1)} = S^\top Z, \quad A^{(l+1)} = S^\top A S.

A level with one cluster needs no assignment GNN (:math:`S` is the all-ones column on real nodes, i.e. a
sum over nodes). The output is the sum of the last level's cluster embeddings (with a last level of one
cluster: that cluster's embedding). Level 1 sees the bond graph (``batch.edge_index``) or a radius graph of
``batch.pos``; later levels the coarsened weighted graph, on which every cluster is a real node.
No batch normalisation (the paper's BN would make a molecule's output depend on its batch mates). The
encoder's atom embeddings are first projected linearly to ``hidden_dim`` (on the real atoms, before padding).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from molgdl.errors import DataError
from molgdl.geometry import radius_graph

from .ops import dense_graph, entropy_loss, link_loss, masked_assignment, pool


class DenseGNN(nn.Module):
    r"""A stack of PyG dense convolutions (``DenseSAGEConv`` or ``DenseGCNConv``) with ReLU between layers
    (and after the last one when ``final_activation``).

    Shapes:
        - **input:** x :math:`(B, N, F_{in})`, adj :math:`(B, N, N)`, mask :math:`(B, N)`
        - **output:** :math:`(B, N, F_{out})`, zero on padded rows
    """

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, num_layers: int, conv: str,
                 final_activation: bool) -> None:
        super().__init__()
        from torch_geometric.nn import DenseGCNConv, DenseSAGEConv

        make = {"sage": DenseSAGEConv, "gcn": DenseGCNConv}[conv]
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        self.convs = nn.ModuleList(make(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.final_activation = final_activation

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x, adj, mask)
            if i < len(self.convs) - 1 or self.final_activation:
                x = torch.relu(x)
        return x


class DiffPoolLevel(nn.Module):
    """One DiffPool level: embedding GNN and (for more than one cluster) assignment GNN."""

    def __init__(self, in_dim: int, hidden_dim: int, clusters: int, num_layers: int, conv: str) -> None:
        super().__init__()
        self.clusters = clusters
        self.embed = DenseGNN(in_dim, hidden_dim, hidden_dim, num_layers, conv, final_activation=True)
        self.assign = (DenseGNN(in_dim, hidden_dim, clusters, num_layers, conv, final_activation=False)
                       if clusters > 1 else None)

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``(z, s)``: embeddings :math:`(B, N, H)` and assignment :math:`(B, N, K)` (zero padded rows)."""
        z = self.embed(x, adj, mask)
        if self.assign is None:
            s = mask.unsqueeze(-1).to(z.dtype)
        else:
            s = masked_assignment(self.assign(x, adj, mask), mask)
        return z, s


class DiffPoolReadout(nn.Module):
    r"""Hierarchical DiffPool readout.

    Args:
        in_dim: encoder width.
        clusters: clusters of each level, e.g. ``[16, 1]``.
        hidden_dim: embedding width (= ``out_dim``).
        num_layers: convolutions per GNN.
        conv: ``"sage"`` or ``"gcn"``.
        adjacency: ``"bond"`` (``batch.edge_index``) or ``"radius"`` (from ``batch.pos``, Å).
        radius_cutoff, radius_max_neighbors: radius graph settings (Å, count or ``None``).
        self_loops: add self-loops to the level-1 adjacency.
        link_weight, entropy_weight: weights of the auxiliary losses.
        max_dense_entries: memory guard on ``B * N_max^2``.

    After each forward: ``auxiliary_losses`` (weighted, summed over the learned levels, each averaged over
    graphs), ``last_assignment`` (level-1 ``S`` of the real nodes, in batch node order, detached) and
    ``last_assignments`` (all learned levels, padded ``[B, N_l, K_l]``, detached) for interpretation.
    Memory guard: a training batch with ``B * N_max^2 > max_dense_entries`` raises ``TrainingError``; without
    gradients (evaluation, prediction) such a batch is pooled in groups of molecules that fit instead.

    Shapes:
        - **input:** h :math:`(N_{tot}, F_{in})`, batch with ``batch``, ``num_graphs``, ``edge_index``
          (``pos`` for the radius adjacency)
        - **output:** :math:`(B, \text{hidden\_dim})`
    """

    def __init__(self, in_dim: int, clusters: Sequence[int], hidden_dim: int = 128, num_layers: int = 2,
                 conv: str = "sage", adjacency: str = "bond", radius_cutoff: float = 3.0,
                 radius_max_neighbors: int | None = None, self_loops: bool = True, link_weight: float = 1.0,
                 entropy_weight: float = 0.1, max_dense_entries: int = 20_000_000) -> None:
        super().__init__()
        self.clusters = list(clusters)
        self.out_dim = hidden_dim
        self.adjacency = adjacency
        self.radius_cutoff = radius_cutoff
        self.radius_max_neighbors = radius_max_neighbors
        self.self_loops = self_loops
        self.link_weight = link_weight
        self.entropy_weight = entropy_weight
        self.max_dense_entries = max_dense_entries
        # linear projection of the real atoms to hidden_dim before padding: the dense layers then work at
        # hidden width on B x N_max rows (3x padding on ESOL) instead of the encoder width (300 for D-MPNN)
        self.project = nn.Linear(in_dim, hidden_dim)
        self.levels = nn.ModuleList(
            DiffPoolLevel(hidden_dim, hidden_dim, k, num_layers, conv) for k in self.clusters
        )
        self.auxiliary_losses: dict[str, Tensor] = {}
        self.last_assignment: Tensor | None = None
        self.last_assignments: list[Tensor] = []

    def _edges(self, h: Tensor, batch, index: Tensor) -> Tensor | None:
        if self.adjacency == "radius":
            pos = getattr(batch, "pos", None)
            if pos is None:
                raise DataError("diffpool: adjacency 'radius' needs 3D positions (batch.pos) but the batch has none",
                                hint="use a 3D featurizer (conformer3d) or set readout.adjacency: bond")
            return radius_graph(pos, index, self.radius_cutoff, self.radius_max_neighbors)
        edge_index = getattr(batch, "edge_index", None)
        if edge_index is None:
            raise DataError("diffpool: adjacency 'bond' needs batch.edge_index but the batch has none",
                            hint="use a featurizer that produces bonds, or adjacency: radius with 3D positions")
        return edge_index

    def forward(self, h: Tensor, batch) -> Tensor:
        index = getattr(batch, "batch", None)
        if index is None:
            index, num_graphs = torch.zeros(h.size(0), dtype=torch.long, device=h.device), 1
        else:
            num_graphs = int(batch.num_graphs)
        edges = self._edges(h, batch, index)
        h = self.project(h)
        counts = torch.bincount(index, minlength=num_graphs)
        n_max = int(counts.max()) if counts.numel() else 0
        if not torch.is_grad_enabled() and num_graphs * n_max * n_max > self.max_dense_entries:
            return self._chunked(h, index, counts, edges)
        return self._dense_forward(h, index, num_graphs, edges)

    def _chunked(self, h: Tensor, index: Tensor, counts: Tensor, edges: Tensor) -> Tensor:
        """Inference on a batch too large for one dense tensor (evaluation and prediction use larger batches
        than training): consecutive groups of molecules that fit, one after the other. Every molecule is
        pooled on its own, so the result equals the one-pass result. A single molecule too large raises."""
        sizes = counts.tolist()
        groups, start, width = [], 0, 0
        for g, n in enumerate(sizes):
            w = max(width, n)
            if g > start and (g + 1 - start) * w * w > self.max_dense_entries:
                groups.append((start, g))
                start, w = g, n
            width = w
        groups.append((start, len(sizes)))
        ptr = [0]
        for n in sizes:
            ptr.append(ptr[-1] + n)
        outs, s_parts, aux_sum = [], [], {}
        for g0, g1 in groups:
            a, b = ptr[g0], ptr[g1]
            keep = (edges[0] >= a) & (edges[0] < b)
            outs.append(self._dense_forward(h[a:b], index[a:b] - g0, g1 - g0, edges[:, keep] - a))
            if self.last_assignment is not None:
                s_parts.append(self.last_assignment)
            for key, value in self.auxiliary_losses.items():  # per-molecule means -> weight by molecules
                aux_sum[key] = aux_sum.get(key, 0.0) + value * (g1 - g0)
        self.auxiliary_losses = {k: v / len(sizes) for k, v in aux_sum.items()}
        self.last_assignment = torch.cat(s_parts) if s_parts else None
        self.last_assignments = []  # padded per-level tensors are not kept in chunked mode
        return torch.cat(outs)

    def _dense_forward(self, h: Tensor, index: Tensor, num_graphs: int, edges: Tensor | None) -> Tensor:
        x, adj, mask = dense_graph(h, index, num_graphs, edges, self_loops=self.self_loops,
                                   max_entries=self.max_dense_entries)
        first_mask = mask
        link = ent = h.new_zeros(())
        assignments: list[Tensor] = []
        for level in self.levels:
            z, s = level(x, adj, mask)
            if level.assign is not None:
                if self.link_weight:
                    link = link + link_loss(adj, s, mask).mean()
                if self.entropy_weight:
                    ent = ent + entropy_loss(s, mask).mean()
                assignments.append(s.detach())
            x, adj = pool(z, adj, s)
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        aux: dict[str, Tensor] = {}
        if assignments and self.link_weight:
            aux["link"] = self.link_weight * link
        if assignments and self.entropy_weight:
            aux["entropy"] = self.entropy_weight * ent
        self.auxiliary_losses = aux
        self.last_assignments = assignments
        self.last_assignment = assignments[0][first_mask] if assignments and self.levels[0].assign is not None \
            else None
        return x.sum(dim=1)

    def extra_repr(self) -> str:
        return f"clusters={self.clusters}, adjacency={self.adjacency}, out_dim={self.out_dim}"


def build_diffpool(params, in_dim: int) -> DiffPoolReadout:
    return DiffPoolReadout(
        in_dim,
        params.cluster_counts(),
        hidden_dim=params.hidden_dim,
        num_layers=params.gnn_layers,
        conv=params.conv,
        adjacency=params.adjacency,
        radius_cutoff=params.radius_cutoff,
        radius_max_neighbors=params.radius_max_neighbors,
        self_loops=params.self_loops,
        link_weight=params.link_weight,
        entropy_weight=params.entropy_weight,
        max_dense_entries=params.max_dense_entries,
    )
