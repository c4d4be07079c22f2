"""The e3nn encoder beyond rotations: the VectorHead (rotates with the molecule), atom permutations, batch
consistency, mirror images with and without parity, isolated atoms, dtypes."""

from __future__ import annotations

import pytest
import torch

from molgdl.testing.contracts import relabel_molecule

NAMES = ("CC(C)O", "c1ccncc1")
DTYPES = [torch.float64, torch.float32]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("parity", [True, False], ids=["parity", "noparity"])
def test_vector_head_equivariance(e3, parity, dtype):
    model = e3.build(dtype, l_max=2, parity=parity)
    head = model.vector_head().to(dtype)
    assert head.irreps_out == (model.irreps_features.__class__("1x1o" if parity else "1x1e"))
    graphs = e3.molecules(dtype, NAMES)
    batch = e3.batch(graphs)
    with torch.no_grad():
        mu = head(model.forward_features(batch), batch)
    assert mu.shape == (len(graphs), 3) and mu.abs().min() > 1e-6
    for proper, seed in [(True, 3)] + ([(False, 4)] if parity else []):
        rot = e3.orthogonal(seed, proper, torch.float64)
        moved = e3.batch(e3.moved(graphs, rot, seed))
        with torch.no_grad():
            mu2 = head(model.forward_features(moved), moved)
        ok, err = e3.close(mu @ rot.to(dtype).T, mu2, e3.TOL[dtype])
        assert ok, f"vector output does not rotate with the molecule: rel err {err:.3g}"


def test_vector_head_without_tensor_features_uses_charges(e3):
    """l_max = 0 has no 1o features: the head is then the charge dipole sum_i q_i (pos_i - mean pos)."""
    model = e3.build(torch.float64, l_max=0)
    head = model.vector_head().double()
    graphs = e3.molecules(torch.float64, ("CCO",))
    batch = e3.batch(graphs)
    with torch.no_grad():
        feats = model.forward_features(batch)
        q = head.charge(feats)
        expected = (q * (batch.pos - batch.pos.mean(0))).sum(0, keepdim=True)
        torch.testing.assert_close(head(feats, batch), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("l_max", [1, 3])
def test_atom_permutation_equivariance(e3, l_max):
    model = e3.build(torch.float64, l_max=l_max)
    for i, g in enumerate(e3.molecules(torch.float64, NAMES)):
        g2, perm = relabel_molecule(g, torch.Generator().manual_seed(i))
        with torch.no_grad():
            a, b = model.forward_features(e3.batch([g])), model.forward_features(e3.batch([g2]))
        ok, err = e3.close(a[perm], b, 1e-9)
        assert ok, f"molecule {i}: features do not follow the atom relabelling: rel err {err:.3g}"


def test_batch_consistency(e3):
    model = e3.build(torch.float64, l_max=2)
    graphs = e3.molecules(torch.float64)
    batch = e3.batch(graphs)
    with torch.no_grad():
        together = model.forward_features(batch)
        for i, g in enumerate(graphs):
            alone = model.forward_features(e3.batch([g]))
            ok, err = e3.close(alone, together[batch.ptr[i]:batch.ptr[i + 1]], 1e-9)
            assert ok, f"molecule {i} differs alone vs in a batch: rel err {err:.3g}"


def test_parity_decides_whether_mirror_images_differ(e3):
    """A mirror image has the same scalars with parity on; without parity (chiral model) the 0e outputs
    pick up pseudoscalars such as triple products (needs l_max >= 1 and three layers) and differ."""
    graphs = e3.molecules(torch.float64, ("CC(C)O",))  # a non-planar geometry without mirror symmetry
    mirror = [g.clone() for g in graphs]
    for g in mirror:
        g.pos = g.pos * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    diffs = {}
    for parity in (True, False):
        model = e3.build(torch.float64, l_max=1, parity=parity, num_layers=3)
        with torch.no_grad():
            a, b = model(e3.batch(graphs)), model(e3.batch(mirror))
        diffs[parity] = float((a - b).abs().max() / a.abs().max())
    assert diffs[True] < 1e-12, diffs
    assert diffs[False] > 1e-7, diffs  # small (random weights, third-order effect) but far above rounding


def test_single_atoms_and_atoms_without_neighbours(e3):
    """A one-atom molecule and an atom farther than the cutoff from the rest get the same (finite) output."""
    from torch_geometric.data import Data

    model = e3.build(torch.float64, l_max=2, cutoff=3.0)
    z = torch.tensor([8])
    alone = Data(z=z, pos=torch.zeros(1, 3, dtype=torch.float64), num_nodes=1)
    pair = Data(z=torch.tensor([8, 6]), pos=torch.tensor([[0.0, 0, 0], [3.5, 0, 0]], dtype=torch.float64))
    with torch.no_grad():
        h1, h2 = model(e3.batch([alone])), model(e3.batch([pair, alone]))
    assert torch.isfinite(h1).all() and torch.isfinite(h2).all()
    torch.testing.assert_close(h2[0], h1[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(h2[2], h1[0], rtol=0, atol=1e-12)
    assert (h2[1] - h1[0]).abs().max() > 1e-3, "the carbon has another type: its embedding differs"


def test_dtype_follows_the_parameters(e3):
    """float32 positions into a float64 model are cast (and vice versa); the default dtype is followed."""
    graphs = e3.molecules(torch.float32, ("CCO",))
    model = e3.build(torch.float64)
    with torch.no_grad():
        assert model(e3.batch(graphs)).dtype == torch.float64
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        built = e3.build(torch.float64)  # built under the float64 default: every tensor is float64
        assert {t.dtype for t in [*built.parameters(), *built.buffers()] if t.is_floating_point()} == {torch.float64}
    finally:
        torch.set_default_dtype(old)
    with torch.no_grad():
        assert e3.build(torch.float32)(e3.batch(e3.molecules(torch.float64, ("CCO",)))).dtype == torch.float32


def test_natural_parity_keeps_only_the_harmonics_parity():
    from molgdl_e3nn.irreps import hidden_irreps

    assert str(hidden_irreps(8, 4, 3, parity=True, natural=True)) == "8x0e+4x1o+4x2e+4x3o"
    assert str(hidden_irreps(8, 4, 1, parity=True)) == "4x0o+8x0e+4x1o+4x1e"
    assert str(hidden_irreps(8, 4, 1, parity=False, natural=True)) == "8x0e+4x1e"  # no-op without parity


def test_species_rank_equals_a_full_table_of_its_products():
    """e_z B is the table W_z = (E B)_z: the factorised self-connection equals the full one with that table."""
    from molgdl_e3nn.interaction import SpeciesLinear

    torch.manual_seed(0)
    low = SpeciesLinear("4x0e+2x1o", "3x0e+2x1o", num_types=10, rank=3).double()
    full = SpeciesLinear("4x0e+2x1o", "3x0e+2x1o", num_types=10).double()
    with torch.no_grad():
        full.weight.copy_(low.embedding @ low.basis)
    h, z = torch.randn(7, 10, dtype=torch.float64), torch.tensor([1, 6, 8, 6, 1, 1, 9])
    torch.testing.assert_close(low(h, z), full(h, z), rtol=1e-12, atol=1e-12)
    assert sum(p.numel() for p in low.parameters()) < sum(p.numel() for p in full.parameters()) / 2


def test_float64_models_use_exact_wigner_3j_constants(e3):
    """e3nn builds the couplings in the default dtype (float32); the encoder refills them after a dtype move."""
    from e3nn import o3

    model = e3.build(torch.float64, l_max=2, correlation=3)
    found = 0
    for module in model.modules():
        for name, buf in module.named_buffers(recurse=False):
            if name.startswith("_w3j_"):
                l1, l2, l3 = (int(x) for x in name[5:].split("_"))
                assert buf.dtype == torch.float64
                assert torch.equal(buf, o3.wigner_3j(l1, l2, l3, dtype=torch.float64)), name
                found += 1
    assert found > 5
    back = model.float()
    assert all(b.dtype == torch.float32 for n, b in back.named_buffers() if n.rsplit(".", 1)[-1].startswith("_w3j_"))
