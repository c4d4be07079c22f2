"""Symmetries, batching and gradients of the dmpnn / gine / schnet encoders with the readouts."""

from __future__ import annotations

import pytest
import torch

from molgdl.errors import ConfigError, DataError
from molgdl.specs import FeatureDims
from molgdl_models import hooks
from molgdl_models.params import DMPNNParams, GINEParams, SchNetParams

SPECS = {s.name: s for s in hooks.molgdl_models()}
READOUTS = {s.name: s for s in hooks.molgdl_readouts()}
DIMS = FeatureDims(atom_dim=7, bond_dim=4, is_3d=True)
SMALL = {
    "dmpnn": DMPNNParams(hidden_dim=16, depth=3),
    "gine": GINEParams(hidden_dim=16, num_layers=3),
    "schnet": SchNetParams(hidden_channels=16, num_filters=16, num_gaussians=20, num_interactions=2),
}


def build(name: str, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    model = SPECS[name].factory(SMALL[name], DIMS).to(dtype)
    return model.eval()


@pytest.mark.parametrize("name", ["dmpnn", "gine", "schnet"])
def test_permutation_equivariant_nodes_invariant_sum(name, molgraphs, gen):
    model = build(name, torch.float64)
    readout = READOUTS["sum"].factory(READOUTS["sum"].build_params(), model.out_dim)
    mol = molgraphs.random_molecule(12, gen, ring_bonds=3, dtype=torch.float64)
    perm_mol, perm = molgraphs.permute_molecule(mol, gen)
    h, h_perm = model(mol), model(perm_mol)
    assert h.shape == (12, model.out_dim)
    torch.testing.assert_close(h_perm, h[perm], rtol=1e-10, atol=1e-10)
    b, b_perm = molgraphs.batch_of(mol), molgraphs.batch_of(perm_mol)
    torch.testing.assert_close(readout(h_perm, b_perm), readout(h, b), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "schnet"])
@pytest.mark.parametrize("readout_name", ["sum", "mean", "max", "attention", "set2set"])
def test_alone_equals_inside_a_batch(name, readout_name, molgraphs, gen):
    model = build(name)
    spec = READOUTS[readout_name]
    torch.manual_seed(1)
    readout = spec.factory(spec.build_params(), model.out_dim).eval()
    a, target, c = (molgraphs.random_molecule(n, gen) for n in (9, 6, 11))
    with torch.no_grad():
        alone = readout(model(molgraphs.batch_of(target)), molgraphs.batch_of(target))
        batch = molgraphs.batch_of(a, target, c)
        inside = readout(model(batch), batch)
    assert inside.shape == (3, readout.out_dim)
    torch.testing.assert_close(inside[1:2], alone, rtol=1e-5, atol=1e-5)


def random_rotation(gen, dtype=torch.float64, proper=True):
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=dtype))
    q = q * torch.sign(torch.diagonal(r))
    if proper and torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    if not proper and torch.det(q) > 0:
        q[:, 0] = -q[:, 0]
    return q


@pytest.mark.parametrize("proper", [True, False])
def test_schnet_e3_invariance(proper, molgraphs, gen):
    model = build("schnet", torch.float64)
    mols = [molgraphs.random_molecule(n, gen, dtype=torch.float64, box=4.0) for n in (10, 14)]
    batch = molgraphs.batch_of(*mols)
    h = model(batch)
    moved = batch.clone()
    rot = random_rotation(gen, proper=proper)
    moved.pos = batch.pos @ rot.T + torch.randn(3, generator=gen, dtype=torch.float64) * 10
    h_moved = model(moved)
    torch.testing.assert_close(h_moved, h, rtol=1e-9, atol=1e-9 * h.abs().max().item())


def test_schnet_matches_pyg_schnet(molgraphs, gen):
    """Our encoder + PyG's output MLP and sum equals torch_geometric.nn.SchNet with the same weights."""
    from torch_geometric.nn.models import SchNet

    from molgdl.geometry import radius_graph

    enc = build("schnet", torch.float64)
    p = SMALL["schnet"]

    def interaction_graph(pos, batch):
        ei = radius_graph(pos, batch, p.cutoff, p.max_num_neighbors)
        return ei, (pos[ei[0]] - pos[ei[1]]).norm(dim=-1)

    ref = SchNet(p.hidden_channels, p.num_filters, p.num_interactions, p.num_gaussians, p.cutoff,
                 interaction_graph=interaction_graph).double().eval()
    missing = ref.load_state_dict(enc.state_dict(), strict=False)
    assert not missing.unexpected_keys
    assert set(missing.missing_keys) <= {"lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"}
    batch = molgraphs.batch_of(*(molgraphs.random_molecule(n, gen, dtype=torch.float64) for n in (5, 8, 3)))
    h = enc(batch)
    per_atom = ref.lin2(ref.act(ref.lin1(h)))
    ours = torch.zeros(batch.num_graphs, 1, dtype=torch.float64).index_add_(0, batch.batch, per_atom)
    torch.testing.assert_close(ours, ref(batch.z, batch.pos, batch.batch), rtol=1e-12, atol=1e-12)


def test_schnet_needs_3d_and_valid_z(molgraphs, gen):
    with pytest.raises(ConfigError, match="3D"):
        SPECS["schnet"].factory(SMALL["schnet"], FeatureDims(atom_dim=7, bond_dim=4, is_3d=False))
    model = build("schnet")
    mol = molgraphs.random_molecule(4, gen)
    mol.z[0] = 150
    with pytest.raises(DataError, match="max_z"):
        model(mol)
    del mol.pos
    with pytest.raises(DataError, match="pos"):
        model(mol)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "schnet"])
@pytest.mark.parametrize("readout_name", ["sum", "mean", "max", "attention", "set2set"])
def test_gradients_reach_every_parameter(name, readout_name, molgraphs, gen):
    model = build(name).train()
    spec = READOUTS[readout_name]
    readout = spec.factory(spec.build_params(), model.out_dim).train()
    batch = molgraphs.batch_of(*(molgraphs.random_molecule(n, gen) for n in (7, 10, 5)))
    out = readout(model(batch), batch)
    weights = torch.randn(out.shape, generator=gen)
    (out * weights).sum().backward()
    for pname, param in list(model.named_parameters()) + list(readout.named_parameters()):
        assert param.grad is not None, f"{pname} got no gradient"
        assert torch.isfinite(param.grad).all(), pname
        assert param.grad.abs().sum() > 0, f"{pname} has an all-zero gradient"


def test_gine_without_bond_features(molgraphs, gen):
    model = SPECS["gine"].factory(GINEParams(hidden_dim=8, num_layers=2), FeatureDims(7, 0)).eval()
    mol = molgraphs.random_molecule(5, gen)
    assert model(mol).shape == (5, 8)
    with pytest.raises(DataError, match="bond features"):
        SPECS["gine"].factory(GINEParams(hidden_dim=8), FeatureDims(7, 3))(mol)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "schnet"])
def test_single_atom_molecule(name, molgraphs, gen):
    model = build(name)
    mol = molgraphs.random_molecule(1, gen)
    assert mol.edge_index.shape == (2, 0)
    out = model(molgraphs.batch_of(mol))
    assert out.shape == (1, model.out_dim) and torch.isfinite(out).all()
