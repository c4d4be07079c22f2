"""Per-example gradients: closed form for linear least squares; factored and vmap equal the loop on D-MPNN;
vmap over molecules on real molecules of very different sizes, and its fallbacks."""

from __future__ import annotations

import logging

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


# --- vmap over molecules -----------------------------------------------------------------------------------
# real molecules of 1 to 28 atoms in no particular order: without bonds (C, O, an ion pair), one with as many
# atoms as directed bonds (CC), fused rings
REAL_SMILES = ["CCO", "CC(C)CCCC(C)C1CCC2C1(CCC3C2CC=C4C3(CCC(C4)O)C)C", "C", "[Na+].[Cl-]", "CC",
               "c1ccc2c(c1)ccc1ccccc12", "O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "ClC(Cl)Cl", "CCCCCCCCCCCCCCCC"]


@pytest.fixture()
def real_setup():
    """A fresh D-MPNN + mean readout + 5 descriptors + head in float64 on graph2d graphs of REAL_SMILES, with
    graph-level ``y``, ``extra`` and ``mol_index`` (incremented by the atom count when batched, as in the
    datasets)."""
    pytest.importorskip("molgdl_rdkit")
    from torch_geometric.data import Batch

    from molgdl.data.table import MoleculeRecord
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl.specs import FeatureDims
    from molgdl.train.module import MolecularModel
    from molgdl_rdkit.graph2d import Graph2DFeaturizer

    torch.manual_seed(0)
    y = torch.randn(len(REAL_SMILES), 2, dtype=torch.float64)
    y[3, 1] = float("nan")
    feat = Graph2DFeaturizer()
    graphs = []
    for i, s in enumerate(REAL_SMILES):
        g = feat.featurize(MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1))[0]
        g.x, g.edge_attr, g.y = g.x.double(), g.edge_attr.double(), y[i:i + 1]
        g.extra = torch.randn(1, 5, dtype=torch.float64)
        g.mol_index = torch.tensor([i])
        graphs.append(g)
    reg = Registry(create_plugin_manager(autoload=True))
    enc_spec, ro_spec = reg.get("model", "dmpnn"), reg.get("readout", "mean")
    dims = FeatureDims(graphs[0].x.shape[1], graphs[0].edge_attr.shape[1], 0, False)
    enc = enc_spec.factory(enc_spec.build_params({"hidden_dim": 12, "depth": 3}), dims)
    ro = ro_spec.factory(ro_spec.build_params(), enc.out_dim)
    model = MolecularModel(enc, ro, 5, 2, head_hidden=8, head_layers=2, head_dropout=0.0).double()
    return model, graphs, Batch.from_data_list(graphs), y


def _no_fallback(monkeypatch):
    import molgdl_coherence.pergrad as pergrad

    def fail(*args, **kwargs):
        raise AssertionError("the vmap path fell back to vjp_gradients")

    monkeypatch.setattr(pergrad, "vjp_gradients", fail)


@pytest.mark.parametrize("chunk", [1, 3, 16])
def test_vmap_equals_the_loop_on_real_molecules(real_setup, monkeypatch, chunk):
    model, graphs, batch, y = real_setup
    ref = loop_gradients(model, graphs, y, "regression")
    _no_fallback(monkeypatch)
    got = example_gradients(model, batch, y, "regression", method="vmap", chunk=chunk)
    assert list(got) == list(ref)
    for n in ref:
        torch.testing.assert_close(got[n], ref[n], rtol=1e-6, atol=1e-10, msg=n)
    sum_g, sq = example_sq_norms(model, batch, y, "regression", method="vmap", chunk=chunk)
    for n, g in ref.items():
        torch.testing.assert_close(sq[n], g.reshape(len(graphs), -1).pow(2).sum(1), rtol=1e-6, atol=1e-12)
        torch.testing.assert_close(sum_g[n], g.sum(0), rtol=1e-6, atol=1e-12)


def test_vmap_returns_the_input_order(real_setup, monkeypatch):
    from torch_geometric.data import Batch

    model, graphs, batch, y = real_setup
    _no_fallback(monkeypatch)
    perm = torch.randperm(len(graphs))
    got = example_gradients(model, batch, y, "regression", method="vmap", chunk=4)
    permuted = example_gradients(model, Batch.from_data_list([graphs[i] for i in perm.tolist()]), y[perm],
                                 "regression", method="vmap", chunk=4)
    for n in got:
        torch.testing.assert_close(permuted[n], got[n][perm], rtol=1e-9, atol=1e-12)


def test_padding_makes_a_dummy_second_graph(real_setup):
    from molgdl_coherence.pergrad import MoleculePadder

    _, graphs, batch, _ = real_setup
    padder = MoleculePadder(batch)
    order = padder.order()
    atoms = [graphs[i].num_nodes for i in order.tolist()]
    assert atoms == sorted(atoms, reverse=True) and sorted(order.tolist()) == list(range(len(graphs)))
    idx = torch.tensor([0, 2, 4])  # CCO (3 atoms, 4 directed bonds), C (1, 0), CC (2, 2)
    t, bvec, ptr = padder.pad(idx)
    assert t["x"].shape == (3, 4, graphs[0].x.shape[1]) and t["edge_index"].shape == (3, 2, 4)
    assert t["edge_attr"].shape == (3, 4, graphs[0].edge_attr.shape[1])
    assert t["y"].shape == (3, 2, 2) and t["extra"].shape == (3, 2, 5) and t["mol_index"].shape == (3, 2)
    for c, i in enumerate(idx.tolist()):
        g = graphs[i]
        n, e = g.num_nodes, g.num_edges
        assert torch.equal(t["x"][c, :n], g.x) and not t["x"][c, n:].any()
        assert torch.equal(t["edge_index"][c, :, :e], g.edge_index) and (t["edge_index"][c, :, e:] == 3).all()
        assert not t["edge_attr"][c, e:].any()
        assert t["mol_index"][c].tolist() == [i, 3]  # incremented by the atom count: the dummy row -> atom 3
        assert bvec[c].tolist() == [0] * n + [1] * (4 - n) and ptr[c].tolist() == [0, n, 4]


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _with_fallback_log(fn):
    handler = _ListHandler()
    logger = logging.getLogger("molgdl_coherence.pergrad")
    logger.addHandler(handler)
    try:
        return fn(), handler.messages
    finally:
        logger.removeHandler(handler)


def test_vmap_falls_back_for_a_model_that_cannot_be_vmapped(real_setup):
    """``nonzero`` (as in a radius graph) has a data-dependent shape: the quadratic vjp path is used."""
    model, graphs, batch, y = real_setup

    class DataDependent(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, b):
            atoms = torch.nonzero(b.batch >= 0).squeeze(1)
            return self.inner(b) * (atoms.numel() > 0)

    wrapped = DataDependent(model)
    ref = loop_gradients(wrapped, graphs, y, "regression")
    got, messages = _with_fallback_log(
        lambda: example_gradients(wrapped, batch, y, "regression", method="vmap"))
    assert len(messages) == 1 and "vjp path" in messages[0] and "DataDependent" in messages[0]
    for n in ref:
        torch.testing.assert_close(got[n], ref[n], rtol=1e-6, atol=1e-10, msg=n)


@pytest.mark.parametrize("interaction", ["batch_norm", "centering"])
def test_vmap_falls_back_when_molecules_interact(real_setup, interaction):
    """Batch norm in train mode cannot run under vmap; centring the outputs over the batch runs, but changes a
    padded molecule's prediction. Both get the per-molecule gradients of the batched losses."""
    from molgdl_coherence.pergrad import vjp_gradients

    model, graphs, batch, y = real_setup

    class Interacting(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.bn = nn.BatchNorm1d(2).double() if interaction == "batch_norm" else None

        def forward(self, b):
            out = self.inner(b)
            return self.bn(out) if self.bn is not None else out - out.mean(0)

    wrapped = Interacting(model).train()
    ref = vjp_gradients(wrapped, batch, y, "regression")
    got, messages = _with_fallback_log(
        lambda: example_gradients(wrapped, batch, y, "regression", method="vmap"))
    assert len(messages) == 1 and ("prediction differs" in messages[0]) == (interaction == "centering")
    for n in ref:
        torch.testing.assert_close(got[n], ref[n], rtol=1e-9, atol=1e-12, msg=n)
