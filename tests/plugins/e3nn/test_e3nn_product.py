"""MACE-style product basis (``correlation`` > 1): the channel-wise powers against their closed forms for a
scalar + vector channel, homogeneity, no mixing between channels, and the encoder's symmetries (also in
test_e3nn_symmetry) and forces with it."""

from __future__ import annotations

import math

import pytest
import torch


def channels(seed: int = 0):
    """Two channels, each a scalar s and a vector v (irreps ``2x0e + 2x1o`` in e3nn layout)."""
    gen = torch.Generator().manual_seed(seed)
    s = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    v = torch.randn(3, 2, 3, generator=gen, dtype=torch.float64)
    return s, v, torch.cat([s, v.reshape(3, -1)], dim=-1)


def test_powers_are_the_closed_form_invariants_and_covariants():
    from molgdl_e3nn.product import ProductBasis

    basis = ProductBasis(2, "0e + 1o", 3, "4x0e + 4x1o").double()
    s, v, a = channels()
    single, square, cube = basis.powers(a)
    vv = (v * v).sum(-1) / math.sqrt(3)  # e3nn's 1o x 1o -> 0e coupling (component normalisation)
    assert [str(ir) for _, _, ir in basis.paths[0]] == ["0e", "1o", "0e"]  # s^2, s v, v.v; v x v (1e) left out
    torch.testing.assert_close(single[1], v)
    torch.testing.assert_close(square[0][..., 0], s ** 2)
    torch.testing.assert_close(square[1], s[..., None] * v)
    torch.testing.assert_close(square[2][..., 0], vv)
    expected = {"s3": s ** 3, "s2v": s[..., None] ** 2 * v, "svv": s * vv, "vvv": vv[..., None] * v}
    found = set()
    for block in cube:  # every block of the cube is one of the four cubic monomials
        block = block.squeeze(-1)
        match = [k for k, e in expected.items() if e.shape == block.shape and torch.allclose(e, block)]
        assert match, "a block of the cube is not a cubic monomial of (s, v)"
        found.update(match)
    assert found == set(expected)


@pytest.mark.parametrize("irreps", ["0e + 1o + 2e", "0e + 0o + 1o + 1e", "0e + 1o + 2e + 3o", "1e + 2o"])
def test_couplings_equal_e3nn_tensor_products(irreps):
    """Every coupling of the basis against e3nn's own ``uuu`` tensor product of the same two irreps."""
    from e3nn import o3

    from molgdl_e3nn.product import ProductBasis

    basis = ProductBasis(3, irreps, 3, "3x0e").double()
    single = [ir for _, ir in o3.Irreps(irreps)]
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(4, basis.irreps_in.dim, generator=gen, dtype=torch.float64)
    powers = basis.powers(a)
    for n, paths in enumerate(basis.paths, start=1):
        left = [ir for _, _, ir in basis.paths[n - 2]] if n > 1 else single
        for (i, j, ir), got in zip(paths, powers[n]):
            tp = o3.TensorProduct(f"1x{left[i]}", f"1x{single[j]}", f"1x{ir}", [(0, 0, 0, "uuu", False)]).double()
            x, y = powers[n - 1][i].reshape(12, -1), powers[0][j].reshape(12, -1)
            torch.testing.assert_close(got.reshape(12, -1), tp(x, y), rtol=1e-6, atol=1e-6)
    assert all(basis.paths)


@pytest.mark.parametrize("correlation", [2, 3])
def test_each_power_is_homogeneous_and_channels_do_not_mix(correlation):
    from molgdl_e3nn.product import ProductBasis

    basis = ProductBasis(2, "0e + 1o", correlation, "4x0e + 4x1o").double()
    _, _, a = channels(1)
    for n, (power, scaled) in enumerate(zip(basis.powers(a), basis.powers(1.7 * a)), start=1):
        for block, block_t in zip(power, scaled):
            torch.testing.assert_close(block_t, 1.7 ** n * block)
    other = a.clone()
    other[:, 1] += 1.0  # channel 1's scalar only
    other[:, 2 + 3:] -= 0.5  # channel 1's vector only
    for power, power_2 in zip(basis.powers(a)[1:], basis.powers(other)[1:]):
        for block, block_2 in zip(power, power_2):  # channel 0 unchanged, channel 1 changed
            torch.testing.assert_close(block[:, 0], block_2[:, 0])
            assert not torch.allclose(block[:, 1], block_2[:, 1])


def test_element_weights_start_shared_and_then_depend_on_the_element():
    from molgdl_e3nn.product import ProductBasis

    torch.manual_seed(0)
    shared = ProductBasis(2, "0e + 1o", 3, "4x0e + 4x1o").double()
    species = ProductBasis(2, "0e + 1o", 3, "4x0e + 4x1o", num_types=10, rank=4).double()
    species.linear.load_state_dict(shared.linear.state_dict())
    _, _, a = channels(1)
    z = torch.tensor([1, 6, 8])  # one element per atom of `channels`
    torch.testing.assert_close(species(a, z), shared(a))  # C = 0: the shared map
    with torch.no_grad():
        species.species_basis.normal_()
    same = species(a, torch.full_like(z, 6))
    other = species(a, torch.full_like(z, 8))
    assert not torch.allclose(same, other)
    mixed = species(a, z)  # each atom uses its own element's weights
    for element, ref in ((6, same), (8, other)):
        torch.testing.assert_close(mixed[z == element], ref[z == element])
    with pytest.raises(ValueError, match="atomic numbers"):
        species(a)


def test_correlation_one_is_the_nequip_layer_and_higher_orders_add_parameters(e3):
    counts = [sum(p.numel() for p in e3.build(correlation=c).parameters()) for c in (1, 2, 3)]
    assert counts[0] < counts[1] < counts[2]
    assert all(layer.interaction.product is None for layer in e3.build(correlation=1).layers)


@pytest.mark.parametrize("l_max", [1, 2])
def test_forces_rotate_and_match_finite_differences_with_the_product_basis(e3, l_max):
    model = e3.build(torch.float64, l_max=l_max, correlation=3)
    head = torch.randn(model.out_dim, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    graphs = e3.molecules(torch.float64, ("CCO",))

    def energy_forces(batch):
        batch = batch.clone()
        batch.pos = batch.pos.detach().clone().requires_grad_(True)
        energy = (model(batch) @ head).sum()
        (grad,) = torch.autograd.grad(energy, batch.pos)
        return energy.detach(), -grad

    batch = e3.batch(graphs)
    energy, forces = energy_forces(batch)
    rot = e3.orthogonal(3, proper=False)
    energy_2, forces_2 = energy_forces(e3.batch(e3.moved(graphs, rot, 3)))
    for ref, got in ((energy, energy_2), (forces @ rot.T, forces_2)):  # the contract's relative tolerance
        ok, err = e3.close(ref.reshape(-1), got.reshape(-1), e3.TOL[torch.float64])
        assert ok, f"energy / forces not invariant / equivariant: rel err {err:.3g}"

    eps, atom = 1e-5, 2
    for k in range(3):
        plus, minus = batch.clone(), batch.clone()
        plus.pos, minus.pos = batch.pos.clone(), batch.pos.clone()
        plus.pos[atom, k] += eps
        minus.pos[atom, k] -= eps
        with torch.no_grad():
            fd = -((model(plus) @ head).sum() - (model(minus) @ head).sum()) / (2 * eps)
        assert abs(float(fd - forces[atom, k])) < 1e-6 * max(1.0, abs(float(fd)))
