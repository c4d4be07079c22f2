"""CUDA runs give the CPU results (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch

from molgdl.specs import FeatureDims
from molgdl_models import hooks
from molgdl_models.params import DMPNNParams, GINEParams, SchNetParams
from molgdl.geometry import radius_graph

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SPECS = {s.name: s for s in hooks.molgdl_models()}
READOUTS = {s.name: s for s in hooks.molgdl_readouts()}
DIMS = FeatureDims(atom_dim=7, bond_dim=4, is_3d=True)
SMALL = {
    "dmpnn": DMPNNParams(hidden_dim=32, depth=4),
    "gine": GINEParams(hidden_dim=32, num_layers=3),
    "schnet": SchNetParams(hidden_channels=32, num_filters=32, num_interactions=3, max_num_neighbors=8),
}


@pytest.mark.parametrize("sorted_batch", [True, False])
@pytest.mark.parametrize("k", [None, 8, 32])
def test_radius_graph_cuda_equals_cpu(sorted_batch, k):
    gen = torch.Generator().manual_seed(0)
    batch = torch.arange(128).repeat_interleave(30)
    if not sorted_batch:
        batch = batch[torch.randperm(batch.numel(), generator=gen)]
    pos = torch.rand(batch.numel(), 3, generator=gen, dtype=torch.float64) * 6
    cpu = radius_graph(pos, batch, 5.0, k)
    gpu = radius_graph(pos.cuda(), batch.cuda(), 5.0, k)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "schnet"])
@pytest.mark.parametrize("readout_name", ["sum", "mean", "max", "attention", "set2set"])
def test_encoder_readout_cuda_equals_cpu(name, readout_name, molgraphs, gen):
    torch.manual_seed(0)
    model = SPECS[name].factory(SMALL[name], DIMS).double().eval()
    spec = READOUTS[readout_name]
    readout = spec.factory(spec.build_params(), model.out_dim).double().eval()
    mols = [molgraphs.random_molecule(n, gen, dtype=torch.float64, box=5.0) for n in (1, 9, 30, 17, 4)]
    batch = molgraphs.batch_of(*mols)
    with torch.no_grad():
        cpu = readout(model(batch), batch)
    model, readout, gbatch = model.cuda(), readout.cuda(), batch.to("cuda")
    with torch.no_grad():
        gpu = readout(model(gbatch), gbatch)
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-9, atol=1e-9)
    model.train(), readout.train()
    out = readout(model(gbatch), gbatch)
    out.pow(2).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
