"""The uncertainty heads keep the model contracts of ``molgdl.testing``: mean and variance of every head are
batch consistent and invariant to atom relabelling (ensembles and Langevin snapshots combine such models)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch

from molgdl.testing import check_batch_consistency, check_permutation_invariance, tiny_graphs
from molgdl.train.module import MolecularModel
from molgdl.uncertainty.losses import HEAD_WIDTH, head_moments


class _NodeMLP(nn.Module):
    """Node embeddings from atom features only (no message passing): ``[N, 8] -> [N, 16]``."""

    out_dim = 16

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.Tanh())

    def forward(self, batch):
        return self.net(batch.x)


class _MeanReadout(nn.Module):
    out_dim = 16

    def forward(self, h, batch):
        from torch_geometric.nn import global_mean_pool

        return global_mean_pool(h, batch.batch, size=batch.num_graphs)


@pytest.mark.parametrize("head", sorted(HEAD_WIDTH))
def test_head_moments_are_batch_consistent_and_permutation_invariant(head):
    torch.manual_seed(0)
    model = MolecularModel(_NodeMLP(), _MeanReadout(), 0, 2, 16, 2, 0.0, outputs_per_target=HEAD_WIDTH[head]).eval()

    def moments(batch):
        mu, var = head_moments(head, model(batch), 2)
        return torch.cat([mu, var], dim=-1)

    graphs = [g for g in tiny_graphs() if g.num_nodes > 1]
    check_batch_consistency(moments, graphs)
    check_permutation_invariance(moments, graphs[-1])
    assert model(Batch.from_data_list(graphs)).shape == (len(graphs), 2 * HEAD_WIDTH[head])
    if head != "point":
        assert (moments(Batch.from_data_list(graphs))[:, 2:] > 0).all()
