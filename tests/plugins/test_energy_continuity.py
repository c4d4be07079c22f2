"""Energies of the 3D energy/force encoders (e3nn, SchNet) are smooth where an atom has more neighbours inside
the cutoff than any old neighbour cap: an atom moves radially away from the centre of a 61-atom cluster (60
neighbours inside the 5 Å cutoff) and passes every other atom's distance to the centre, i.e. every rank of the
centre's neighbour list. At each such crossing a move of +-1e-6 Å must change the energy as the autograd force
predicts (central difference, float64), which also fails if the energy jumps there."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from molgdl.specs import FeatureDims

N_NEIGHBOURS, CUTOFF, DELTA = 60, 5.0, 1e-6


def cluster(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre atom 0 at the origin, N_NEIGHBOURS atoms in the ball of radius 4.8 Å at least 0.8 Å apart
    (rejection sampling), atom 1 the one that moves along +x (placed later). Returns z [N], pos [N, 3] (Å),
    the sorted distances to the centre [N - 2] of the atoms that stay put."""
    gen = torch.Generator().manual_seed(seed)
    pos = [torch.zeros(3, dtype=torch.float64), torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)]
    while len(pos) < N_NEIGHBOURS + 1:
        p = (torch.rand(3, generator=gen, dtype=torch.float64) * 2 - 1) * 4.8
        if 1.0 < p.norm() < 4.8 and abs(p[1]) + abs(p[2]) > 1.0 and all((p - q).norm() > 0.8 for q in pos):
            pos.append(p)
    pos = torch.stack(pos)
    z = torch.tensor([6, 6] + [(1, 6, 7, 8)[i % 4] for i in range(N_NEIGHBOURS - 1)])
    return z, pos, pos[2:].norm(dim=1).sort().values


def encoders():
    from molgdl_e3nn.model import build_e3nn
    from molgdl_e3nn.params import E3NNParams
    from molgdl_models.params import SchNetParams
    from molgdl_models.schnet import build_schnet

    dims = FeatureDims(atom_dim=0, bond_dim=0, is_3d=True)
    return {
        "e3nn": lambda **kw: build_e3nn(E3NNParams(num_layers=2, num_features=8, radial_width=16, cutoff=CUTOFF,
                                                   **kw), dims),
        "schnet": lambda **kw: build_schnet(SchNetParams(hidden_channels=16, num_filters=16, num_interactions=2,
                                                         cutoff=CUTOFF, **kw), dims),
    }


def energy_and_force(model, z, pos, head) -> tuple[float, float]:
    """Energy (sum over atoms of the head's projection) and the force on atom 1 along +x."""
    pos = pos.clone().requires_grad_(True)
    batch = Batch.from_data_list([Data(z=z, pos=pos, num_nodes=len(z))])
    batch.pos = pos
    energy = (model(batch) @ head).sum()
    (grad,) = torch.autograd.grad(energy, pos)
    return float(energy.detach()), -float(grad[1, 0])


def worst_crossing_error(model, seed: int = 0) -> float:
    """max over the crossings r of |E(r + d) - E(r - d) + d (F(r + d) + F(r - d))|: zero to O(d^3) for a
    smooth energy (trapezoid rule of the work), the jump size where the energy is discontinuous."""
    torch.manual_seed(seed)
    model = model.double().eval()
    head = torch.randn(model.out_dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z, pos, radii = cluster(seed)
    worst = 0.0
    for r in radii[(radii > 1.05) & (radii < 4.75)].tolist():
        ends = []
        for x in (r - DELTA, r + DELTA):
            p = pos.clone()
            p[1] = torch.tensor([x, 0.0, 0.0], dtype=torch.float64)
            ends.append(energy_and_force(model, z, p, head))
        (e_lo, f_lo), (e_hi, f_hi) = ends
        worst = max(worst, abs(e_hi - e_lo + DELTA * (f_hi + f_lo)))
    return worst


def test_the_cluster_is_crowded():
    _, pos, radii = cluster()
    assert len(radii) + 1 == N_NEIGHBOURS and float(radii.max()) < CUTOFF
    assert ((radii > 1.05) & (radii < 4.75)).sum() > 40  # the moving atom passes most ranks


@pytest.mark.parametrize("name", ["e3nn", "schnet"])
def test_energy_is_continuous_and_forces_match_by_default(name):
    torch.manual_seed(0)
    err = worst_crossing_error(encoders()[name]())
    assert err < 1e-9, f"{name}: energy jump or force mismatch of {err:.3g} at a neighbour-rank crossing"


@pytest.mark.parametrize("name", ["e3nn", "schnet"])
def test_a_cap_inside_the_cutoff_is_caught(name):
    """The check above is not blind: a 32-neighbour cap (the old default) makes the energy jump."""
    torch.manual_seed(0)
    assert worst_crossing_error(encoders()[name](max_num_neighbors=32)) > 1e-7
