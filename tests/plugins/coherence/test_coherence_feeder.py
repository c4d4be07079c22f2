"""The per_example_gradients callback feeds RobustOptimizer: winsorized c=0 steps exactly as the plain optimizer;
c=2 and M3 step with the robust aggregate of the loop's per-example gradients."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch

from molgdl_coherence.aggregate import m3, winsorized_mean
from molgdl_coherence.callback import ExampleGradientFeeder
from molgdl_coherence.optimizer import RobustOptimizer
from molgdl_coherence.pergrad import loop_gradients


@pytest.fixture(scope="module")
def setup():
    from torch_geometric.data import Batch

    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl.specs import FeatureDims
    from molgdl.testing.molecules import tiny_graphs
    from molgdl.train.module import MolecularModel

    reg = Registry(create_plugin_manager(autoload=True))
    graphs = tiny_graphs()
    dims = FeatureDims(graphs[0].x.shape[1], graphs[0].edge_attr.shape[1], 0, False)
    torch.manual_seed(0)
    enc_spec, ro_spec = reg.get("model", "dmpnn"), reg.get("readout", "sum")
    enc = enc_spec.factory(enc_spec.build_params({"hidden_dim": 10, "depth": 2}), dims)
    ro = ro_spec.factory(ro_spec.build_params(), enc.out_dim)
    model = MolecularModel(enc, ro, 0, 1, head_hidden=8, head_layers=2, head_dropout=0.0)
    gen = torch.Generator().manual_seed(1)
    for g in graphs:
        g.y = torch.randn(1, 1, generator=gen) * 3
    return model, graphs, Batch.from_data_list(graphs)


def _step(model, batch, rule, c=0, feed=True):
    from molgdl.train.module import PredictorModule, masked_loss

    model = copy.deepcopy(model)
    module = PredictorModule(model, "regression", make_optimizer=None)
    base = torch.optim.SGD(model.parameters(), lr=0.1)
    opt = RobustOptimizer(base, rule, c=c) if rule else base
    if feed:
        ExampleGradientFeeder().on_train_batch_start(SimpleNamespace(optimizers=[opt]), module, batch, 0)
    opt.zero_grad()
    masked_loss(model(batch), module.scaled_targets(batch), "regression").backward()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt.step()
    return {n: (before[n] - p.detach()) / 0.1 for n, p in model.named_parameters()}  # the gradient used


def test_winsorized_c0_equals_the_plain_step(setup):
    model, _, batch = setup
    plain = _step(model, batch, None, feed=False)
    robust = _step(model, batch, "winsorized", c=0)
    for n in plain:
        torch.testing.assert_close(robust[n], plain[n], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("rule", ["winsorized", "m3"])
def test_robust_step_uses_the_aggregate_of_the_loop_gradients(setup, rule):
    model, graphs, batch = setup
    y = torch.cat([g.y for g in graphs])
    ref = loop_gradients(model, graphs, (y - model.y_mean) / model.y_std, "regression")
    used = _step(model, batch, rule, c=2)
    plain = _step(model, batch, None, feed=False)
    differs = False
    for n, g in ref.items():
        expected = winsorized_mean(g, 2) if rule == "winsorized" else m3(g)
        torch.testing.assert_close(used[n], expected, rtol=1e-4, atol=1e-6)
        differs |= not torch.allclose(used[n], plain[n], rtol=1e-3, atol=1e-5)
    assert differs, "the robust aggregate should differ from the plain mean on random targets"
