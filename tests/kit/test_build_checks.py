"""``molgdl.build_checks.check_model_outputs`` directly: dtype and finiteness (the shape and the missing
``out_dim`` go through the CLI in test_plugin_mistakes.py), and the check leaves the training RNG alone."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch

from molgdl.build_checks import Component, check_model_outputs
from molgdl.errors import PluginError
from molgdl.testing import tiny_graphs

ENC = Component("model", "enc", "p (d 1)")
RO = Component("readout", "ro", "p (d 1)")


class Encoder(nn.Module):
    def __init__(self, transform=lambda h: h):
        super().__init__()
        self.out_dim, self.lin, self.transform = 4, nn.Linear(8, 4), transform

    def forward(self, batch):
        return self.transform(self.lin(batch.x))


class MeanReadout(nn.Module):
    out_dim = 4

    def forward(self, h, batch):
        return torch.zeros(batch.num_graphs, 4).index_add(0, batch.batch, h)


@pytest.fixture
def batch():
    return Batch.from_data_list(tiny_graphs()[:3])


def test_a_sound_pair_passes_and_keeps_training_mode(batch):
    enc, ro = Encoder(), MeanReadout()
    check_model_outputs(enc, ro, batch, ENC, RO)
    assert enc.training and ro.training


def test_integer_node_embeddings_are_named(batch):
    with pytest.raises(PluginError, match=r"^plugin p \(d 1\): model 'enc' forward returned dtype torch\.int64 for a "
                                          r"batch of 3 molecules with \d+ atoms \(.*test_build_checks\.py:\d+\); "
                                          r"expected a float tensor of shape \[\d+, out_dim=4\]"):
        check_model_outputs(Encoder(lambda h: h.long()), MeanReadout(), batch, ENC, RO)


def test_nan_outputs_are_counted(batch):
    n = int(batch.num_nodes)
    with pytest.raises(PluginError, match=rf"model 'enc' forward returned {n * 4} non-finite values for a batch of 3 "
                                          rf"molecules with {n} atoms"):
        check_model_outputs(Encoder(lambda h: h * float("nan")), MeanReadout(), batch, ENC, RO)


def test_the_check_does_not_move_the_rng(batch):
    """An encoder that draws random numbers in forward: the stream after the check is the stream without it."""
    enc, ro = Encoder(lambda h: h + torch.rand_like(h)), MeanReadout()
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    check_model_outputs(enc, ro, batch, ENC, RO)
    assert torch.equal(torch.rand(3), expected)
