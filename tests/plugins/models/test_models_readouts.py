"""Readouts against per-graph torch reference computations."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from molgdl_models import hooks
from molgdl_models.params import AtomwiseReadoutParams, AttentionReadoutParams, Set2SetParams

READOUTS = {s.name: s for s in hooks.molgdl_readouts()}


def make_batch(sizes: list[int], dim: int, gen, dtype=torch.float64):
    """A Batch with graphs of the given atom counts (0 allowed) and node features h."""
    graphs = [Data(x=torch.zeros(n, 1), edge_index=torch.zeros(2, 0, dtype=torch.long)) for n in sizes]
    batch = Batch.from_data_list(graphs)
    h = torch.randn(sum(sizes), dim, generator=gen, dtype=dtype) - 0.5  # many negative values (for max)
    return h, batch


def reference_pool(h, batch, reduce):
    out = []
    for g in range(batch.num_graphs):
        rows = h[batch.batch == g]
        if rows.shape[0] == 0:
            out.append(torch.zeros(h.shape[1], dtype=h.dtype))
        elif reduce == "sum":
            out.append(rows.sum(0))
        elif reduce == "mean":
            out.append(rows.mean(0))
        else:
            out.append(rows.max(0).values)
    return torch.stack(out)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_pooling_matches_reference(reduce, gen):
    h, batch = make_batch([3, 1, 0, 5, 2, 0], 4, gen)  # empty graphs in the middle and at the tail
    spec = READOUTS[reduce]
    readout = spec.factory(spec.build_params(), 4)
    out = readout(h, batch)
    assert readout.out_dim == 4 and out.shape == (6, 4)
    torch.testing.assert_close(out, reference_pool(h, batch, reduce), rtol=0, atol=1e-14)


def test_attention_matches_manual_softmax(gen):
    torch.manual_seed(0)
    h, batch = make_batch([4, 2, 3], 5, gen)
    readout = READOUTS["attention"].factory(AttentionReadoutParams(hidden_dim=8, out_dim=6), 5).double()
    assert readout.out_dim == 6
    out = readout(h, batch)
    gate_nn, feat_nn = readout.pool.gate_nn, readout.pool.nn
    ref = []
    for g in range(batch.num_graphs):
        rows = h[batch.batch == g]
        a = torch.softmax(gate_nn(rows).squeeze(-1), dim=0)
        ref.append((a[:, None] * feat_nn(rows)).sum(0))
    torch.testing.assert_close(out, torch.stack(ref), rtol=1e-12, atol=1e-12)


def test_set2set_shape_and_default_width(gen):
    h, batch = make_batch([3, 4, 2, 0], 5, gen, dtype=torch.float32)
    readout = READOUTS["set2set"].factory(Set2SetParams(processing_steps=2), 5)
    out = readout(h, batch)
    assert readout.out_dim == 10 and out.shape == (4, 10) and torch.isfinite(out).all()
    att = READOUTS["attention"].factory(READOUTS["attention"].build_params(), 5)
    assert att.out_dim == 5 and att(h, batch).shape == (4, 5)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "attention", "set2set"])
def test_permutation_invariance_within_graphs(name, gen):
    torch.manual_seed(0)
    h, batch = make_batch([5, 3, 6], 4, gen)
    spec = READOUTS[name]
    readout = spec.factory(spec.build_params(), 4).double()
    # shuffle atoms inside each graph (the batch vector stays sorted)
    perm = torch.cat([torch.nonzero(batch.batch == g).flatten()[torch.randperm(n, generator=gen)]
                      for g, n in enumerate([5, 3, 6])])
    torch.testing.assert_close(readout(h[perm], batch), readout(h, batch), rtol=1e-12, atol=1e-12)


def test_single_data_without_batch_vector(gen):
    h = torch.randn(4, 3, generator=gen)
    data = Data(x=torch.zeros(4, 1))
    for name in READOUTS:
        spec = READOUTS[name]
        out = spec.factory(spec.build_params(), 3)(h, data)
        assert out.shape[0] == 1


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_atomwise_is_a_pool_of_per_atom_mlp_outputs(reduce, gen):
    """atomwise = per-atom MLP (SiLU between layers) then sum/mean per molecule; empty molecules give zeros."""
    h, batch = make_batch([3, 1, 0, 5, 2], 4, gen)
    params = AtomwiseReadoutParams(hidden_dim=6, out_dim=3, num_layers=3, reduce=reduce)
    readout = READOUTS["atomwise"].factory(params, 4).double()
    lin = [m for m in readout.mlp if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in lin] == [(4, 6), (6, 6), (6, 3)] and readout.out_dim == 3
    per_atom = lin[2](torch.nn.functional.silu(lin[1](torch.nn.functional.silu(lin[0](h)))))
    torch.testing.assert_close(readout(h, batch), reference_pool(per_atom, batch, reduce), rtol=1e-12, atol=1e-12)
