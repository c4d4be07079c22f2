"""Energies and forces for the coming energy+force training: E = sum readout of the invariant output,
F = -dE/dpos by autograd (create_graph=True), checked against central finite differences (float64, 1e-6),
rotation covariance, zero net force, smoothness across the cutoff, and double backward (gradients of a
force loss w.r.t. parameters against finite differences)."""

from __future__ import annotations

import pytest
import torch


def energy_and_forces(model, head, batch, create_graph: bool = True):
    """Per-molecule energies [B] (sum readout + linear head) and forces [N, 3] = -dE/dpos."""
    pos = batch.pos.detach().clone().requires_grad_(True)
    batch = batch.clone()
    batch.pos = pos
    atom_energy = model(batch) @ head  # [N]
    energy = atom_energy.new_zeros(batch.num_graphs).index_add(0, batch.batch, atom_energy)
    (grad,) = torch.autograd.grad(energy.sum(), pos, create_graph=create_graph)
    return energy, -grad


@pytest.fixture
def setup(e3):
    model = e3.build(torch.float64, l_max=2, num_layers=2)
    head = torch.randn(model.out_dim, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    ethanol = e3.molecules(torch.float64, ("CCO",))  # the tiny table's ethanol (MMFF geometry, with H)
    return model, head, ethanol


def test_forces_match_finite_differences(e3, setup):
    model, head, graphs = setup
    batch = e3.batch(graphs)
    _, forces = energy_and_forces(model, head, batch, create_graph=False)
    eps, fd = 1e-5, torch.zeros_like(forces)
    with torch.no_grad():
        for a in range(batch.num_nodes):
            for k in range(3):
                plus, minus = batch.clone(), batch.clone()
                plus.pos = batch.pos.clone()
                minus.pos = batch.pos.clone()
                plus.pos[a, k] += eps
                minus.pos[a, k] -= eps
                fd[a, k] = -((model(plus) @ head).sum() - (model(minus) @ head).sum()) / (2 * eps)
    assert forces.abs().max() > 1e-2, "forces are trivially small"
    err = float((forces - fd).abs().max()) / max(1.0, float(fd.abs().max()))
    assert err < 1e-6, f"autograd forces vs central differences: rel err {err:.3g}"
    torch.testing.assert_close(forces.sum(0), torch.zeros(3, dtype=torch.float64), rtol=0, atol=1e-10)


def test_forces_rotate_with_the_molecule(e3, setup):
    model, head, graphs = setup
    graphs = graphs + e3.molecules(torch.float64, ("c1ccncc1",))
    e1, f1 = energy_and_forces(model, head, e3.batch(graphs))
    for proper, seed in [(True, 0), (False, 1)]:
        rot = e3.orthogonal(seed, proper)
        e2, f2 = energy_and_forces(model, head, e3.batch(e3.moved(graphs, rot, seed)))
        torch.testing.assert_close(e2, e1, rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(f2, f1 @ rot.T, rtol=1e-9, atol=1e-9)


def test_energy_and_forces_are_smooth_at_the_cutoff(e3):
    """A neighbour crossing r_c changes E and F continuously (the envelope and its derivatives vanish)."""
    from torch_geometric.data import Data

    model = e3.build(torch.float64, l_max=2, cutoff=3.0)
    head = torch.randn(model.out_dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)

    def dimer(r: float):
        pos = torch.tensor([[0.0, 0.0, 0.0], [r * 0.6, r * 0.8, 0.0]], dtype=torch.float64)
        return e3.batch([Data(z=torch.tensor([6, 8]), pos=pos)])

    e_in, f_in = energy_and_forces(model, head, dimer(3.0 - 1e-4), create_graph=False)
    e_out, f_out = energy_and_forces(model, head, dimer(3.0 + 1e-4), create_graph=False)
    assert f_out.abs().max() == 0.0, "beyond the cutoff the two atoms do not interact"
    assert abs(float(e_in - e_out)) < 1e-9 and float((f_in - f_out).abs().max()) < 1e-6
    e_mid, f_mid = energy_and_forces(model, head, dimer(2.0), create_graph=False)
    assert abs(float(e_mid - e_out)) > 1e-4 and f_mid.abs().max() > 1e-4, "the dimer interacts inside r_c"


def test_double_backward_parameter_gradients(e3, setup):
    """A loss on forces (needs d^2E / dpos dtheta) gives finite parameter gradients equal to finite differences."""
    model, head, graphs = setup
    model.train()
    batch = e3.batch(graphs)
    target = torch.randn(batch.num_nodes, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)

    def loss_fn():
        energy, forces = energy_and_forces(model, head, batch)
        return (forces - target).pow(2).mean() + 0.1 * energy.pow(2).mean()

    model.zero_grad()
    loss_fn().backward()
    params = dict(model.named_parameters())
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params.values())
    checked = 0
    for name in ("radial.basis.n", "embedding.weight", "layers.0.interaction.radial.layer0.weight",
                 "layers.1.interaction.linear_1.weight", "layers.1.interaction.linear_2.weight", "output.weight"):
        p = params[name]
        idx = int(p.grad.abs().flatten().argmax())
        analytic = float(p.grad.flatten()[idx])
        assert analytic != 0.0, name
        eps = 1e-6
        flat = p.data.view(-1)  # the loss needs autograd (forces), so no torch.no_grad() here
        flat[idx] += eps
        up = float(loss_fn())
        flat[idx] -= 2 * eps
        down = float(loss_fn())
        flat[idx] += eps
        numeric = (up - down) / (2 * eps)
        assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8), name
        checked += 1
    assert checked == 6
