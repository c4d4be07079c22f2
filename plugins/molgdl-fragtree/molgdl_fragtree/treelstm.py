"""Child-Sum Tree-LSTM (Tai, Socher & Manning 2015, eq. 2-8) over a batch of forests, level by level.

A node's input gate, output gate and update see the *sum* of its children's states, and each child has its
own forget gate applied to its own cell: the result does not depend on the order of the children.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def tree_depths(parent: Tensor) -> Tensor:
    """Depth of every node ``[F]`` (0 at roots) from ``parent`` ``[F]`` (-1 at roots): pointer doubling-free
    relaxation, one pass per level (trees are shallow: a BRICS tree rooted at its centre)."""
    depth = torch.zeros_like(parent)
    has = parent >= 0
    up = parent.clamp(min=0)
    for _ in range(parent.numel()):
        new = torch.where(has, depth[up] + 1, 0)
        if torch.equal(new, depth):
            break
        depth = new
    return depth


class ChildSumTreeLSTM(nn.Module):
    """``forward(x [F, in_dim], parent [F]) -> (h [F, H], c [F, H])``, leaves first, roots last.

    i, o, u = sigma/sigma/tanh(W x_j + U sum_k h_k + b); f_jk = sigma(W_f x_j + U_f h_k + b_f);
    c_j = i * u + sum_k f_jk * c_k; h_j = o * tanh(c_j).
    """

    def __init__(self, in_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.W_iou = nn.Linear(in_dim, 3 * hidden_dim)
        self.U_iou = nn.Linear(hidden_dim, 3 * hidden_dim, bias=False)
        self.W_f = nn.Linear(in_dim, hidden_dim)
        self.U_f = nn.Linear(hidden_dim, hidden_dim, bias=False)

    def forward(self, x: Tensor, parent: Tensor) -> tuple[Tensor, Tensor]:
        n, hd = x.shape[0], self.hidden_dim
        depth = tree_depths(parent)
        iou_x, f_x = self.W_iou(x), self.W_f(x)
        h = x.new_zeros(n, hd)
        c = x.new_zeros(n, hd)
        top = int(depth.max()) if n else -1
        for d in range(top, -1, -1):
            nodes = torch.nonzero(depth == d).squeeze(1)
            kids = torch.nonzero((depth == d + 1) & (parent >= 0)).squeeze(1)
            up = parent[kids]
            h_sum = x.new_zeros(n, hd).index_add(0, up, h[kids])
            i, o, u = (iou_x[nodes] + self.U_iou(h_sum[nodes])).chunk(3, dim=-1)
            f = torch.sigmoid(f_x[up] + self.U_f(h[kids]))
            fc = x.new_zeros(n, hd).index_add(0, up, f * c[kids])
            c_new = torch.sigmoid(i) * torch.tanh(u) + fc[nodes]
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            h = h.index_copy(0, nodes, h_new)
            c = c.index_copy(0, nodes, c_new)
        return h, c
