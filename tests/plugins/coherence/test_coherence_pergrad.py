"""Per-example gradients: closed form for linear least squares; factored and vmap equal the loop on D-MPNN."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from molgdl_coherence.pergrad import example_gradients, example_sq_norms, loop_gradients


class LinearModel(nn.Module):
    """``w.x + b`` on molecule rows; duck-types MolecularModel for per_molecule_loss."""

    def __init__(self, d):
        super().__init__()
        self.lin = nn.Linear(d, 1)

    def forward(self, batch):
        return self.lin(batch.feat)


class Rows:
    def __init__(self, feat):
        self.feat = feat
        self.num_graphs = feat.shape[0]


@pytest.mark.parametrize("method", ["factored", "vmap"])
def test_least_squares_closed_form(method):
    torch.manual_seed(0)
    X = torch.randn(10, 4, dtype=torch.float64)
    y = torch.randn(10, 1, dtype=torch.float64)
    model = LinearModel(4).double()
    g = example_gradients(model, Rows(X), y, "regression", method=method)
    r = (model(Rows(X)) - y)  # [B, 1]: loss_i = r_i^2, g_w = 2 r_i x_i, g_b = 2 r_i
    torch.testing.assert_close(g["lin.weight"], (2 * r * X)[:, None, :], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g["lin.bias"], 2 * r, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def dmpnn_setup():
    """A small D-MPNN + mean readout + head (molgdl_models) in float64 on the tiny molecules."""
    from torch_geometric.data import Batch

    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl.specs import FeatureDims
    from molgdl.testing.molecules import tiny_graphs
    from molgdl.train.module import MolecularModel

    reg = Registry(create_plugin_manager(autoload=True))
    graphs = tiny_graphs()
    dims = FeatureDims(graphs[0].x.shape[1], graphs[0].edge_attr.shape[1], 0, False)
    enc_spec, ro_spec = reg.get("model", "dmpnn"), reg.get("readout", "mean")
    torch.manual_seed(0)
    enc = enc_spec.factory(enc_spec.build_params({"hidden_dim": 12, "depth": 3}), dims)
    ro = ro_spec.factory(ro_spec.build_params(), enc.out_dim)
    model = MolecularModel(enc, ro, 0, 2, head_hidden=8, head_layers=2, head_dropout=0.0).double()
    for g in graphs:
        g.x, g.edge_attr = g.x.double(), g.edge_attr.double()
    y = torch.randn(len(graphs), 2, dtype=torch.float64)
    y[1, 0] = float("nan")  # a missing target
    return model, graphs, Batch.from_data_list(graphs), y


def test_factored_and_vmap_equal_the_loop_on_dmpnn(dmpnn_setup):
    model, graphs, batch, y = dmpnn_setup
    ref = loop_gradients(model, graphs, y, "regression")
    assert sum(float(v.abs().sum()) for v in ref.values()) > 0
    for method in ("factored", "vmap"):
        got = example_gradients(model, batch, y, "regression", method=method, chunk=3)
        for n in ref:
            torch.testing.assert_close(got[n], ref[n], rtol=1e-6, atol=1e-10, msg=f"{method} {n}")


def test_squared_norms_equal_the_loop_on_dmpnn(dmpnn_setup):
    model, graphs, batch, y = dmpnn_setup
    ref = loop_gradients(model, graphs, y, "regression")
    for method in ("factored", "vmap"):
        for check in (True, False):
            sum_g, sq = example_sq_norms(model, batch, y, "regression", method=method, check=check)
            for n, g in ref.items():
                norms = g.reshape(len(graphs), -1).pow(2).sum(1)
                torch.testing.assert_close(sq[n], norms, rtol=1e-6, atol=1e-12)
                torch.testing.assert_close(sum_g[n], g.sum(0), rtol=1e-6, atol=1e-12)


def test_factored_falls_back_for_parameters_outside_linear_modules(dmpnn_setup):
    """A weight also used through F.linear outside its module is caught by the sum check."""
    model, graphs, batch, y = dmpnn_setup

    class Wrapped(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.scale = nn.Parameter(torch.tensor(1.5, dtype=torch.float64))

        def forward(self, b):
            out = self.inner(b) * self.scale
            return out + 0.1 * nn.functional.linear(out, self.inner.head[-1].weight[:, :2])

    wrapped = Wrapped(model)
    ref = loop_gradients(wrapped, graphs, y, "regression")
    fallback: list[str] = []
    _, sq = example_sq_norms(wrapped, batch, y, "regression", fallback=fallback)
    assert set(fallback) == {"scale", "inner.head.4.weight"}
    for n, g in ref.items():
        torch.testing.assert_close(sq[n], g.reshape(len(graphs), -1).pow(2).sum(1), rtol=1e-6, atol=1e-12)


def test_batch_norm_in_train_mode_is_not_separable_and_uses_vmap(dmpnn_setup):
    from molgdl_coherence.pergrad import NotSeparable, linear_rows

    model, graphs, batch, y = dmpnn_setup

    class WithBN(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.bn = nn.BatchNorm1d(2).double()
            self.lin = nn.Linear(2, 2).double()

        def forward(self, b):
            return self.lin(self.bn(self.inner(b)))

    m = WithBN(model).train()
    with pytest.raises(NotSeparable):
        linear_rows(m, batch, y, "regression")
    got = example_gradients(m, batch, y, "regression")  # falls back to vmap: sum of g_i = full gradient
    from molgdl.train.module import per_molecule_loss

    loss = per_molecule_loss(m(batch), y, "regression").sum()
    full = torch.autograd.grad(loss, list(m.parameters()))
    for (n, _), f in zip(m.named_parameters(), full):
        torch.testing.assert_close(got[n].sum(0), f, rtol=1e-6, atol=1e-10)
