"""The learned mode-damping closure: leaves the density (mass, field source) alone, damps the other modes at
non-negative rates, and its field energy agrees with the diagnostics."""

from __future__ import annotations

import math

import torch

from molgdl_vlasov.cases import initial_density
from molgdl_vlasov.closure import ModeDamping, field_energy, log_energy_error
from molgdl_vlasov.diagnostics import measure
from molgdl_vlasov.field import density, electric_field
from molgdl_vlasov.grid import Box, Grid

GRID = Grid(Box.from_wavenumber(0.5, 6.0), 16, 16)


def test_correction_preserves_density_and_decays_the_rest():
    torch.manual_seed(0)
    net = ModeDamping(GRID)
    x, v = GRID.mesh()
    f = (initial_density("landau", 0.5, 0.1)(x, v) * (1 + 0.2 * torch.cos(3 * v))).reshape(1, -1)
    c = net(f)
    torch.testing.assert_close(density(c.reshape(1, 16, 16), GRID), torch.zeros(1, 16, dtype=torch.float64),
                               atol=1e-15, rtol=0)
    assert (net.rates() >= 0).all() and float(net.rates()[:, 0].abs().max()) == 0.0
    assert float((f * c).sum()) < 0  # damping lowers the L2 norm: d/dt |f|^2 = 2 <f, c> < 0


def test_field_energy_matches_the_diagnostics_and_the_error_is_zero_on_itself():
    x, v = GRID.mesh()
    f = initial_density("landau", 0.5, 0.1)(x, v)[None]
    e = electric_field(density(f, GRID), GRID)[:, 0]
    w = field_energy(f.reshape(1, -1), GRID)
    assert math.isclose(float(w), float(measure(f, e, GRID)["potential_energy"]), rel_tol=1e-12)
    # E = (eps / k) sin(kx): W = (eps / k)^2 lx / 4
    assert math.isclose(float(w), 0.5 * (0.1 / 0.5) ** 2 * 0.5 * GRID.box.lx, rel_tol=1e-6)
    hist = torch.stack([w, 2 * w])
    assert float(log_energy_error(hist, hist)) == 0.0
    assert math.isclose(float(log_energy_error(10 * hist, hist)), 1.0, rel_tol=1e-12)
