"""Poisson solve, spectral filter and periodic velocity of molgdl-vlasov against closed forms."""

from __future__ import annotations

import math

import torch

from molgdl_vlasov.field import density, electric_field, gaussian_filter, periodic_velocity
from molgdl_vlasov.grid import Box, Grid


def test_poisson_field_of_a_cosine_density_is_the_sine():
    grid = Grid(Box.from_wavenumber(0.5, 8.0), 32, 64)
    x, v = grid.mesh()
    eps, k = 0.1, 0.5
    f = (1 + eps * torch.cos(k * x)) * torch.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    rho = density(f[None], grid)
    # the Gaussian tail beyond |v| = 8 is < 1e-14
    torch.testing.assert_close(rho[0], 1 + eps * torch.cos(k * grid.x()), atol=1e-13, rtol=0)
    jet = electric_field(1 + eps * torch.cos(k * grid.x())[None], grid)
    torch.testing.assert_close(jet[0, 0], eps / k * torch.sin(k * grid.x()), atol=1e-14, rtol=0)
    torch.testing.assert_close(jet[0, 1], eps * torch.cos(k * grid.x()), atol=1e-14, rtol=0)


def test_gaussian_filter_is_one_at_zero_and_two_to_the_minus_26_at_the_cutoff():
    filt = gaussian_filter(64, 16.0, 8)
    assert float(filt[0]) == 1.0
    assert math.isclose(float(filt[16]), 2.0 ** -26, rel_tol=1e-9)
    assert math.isclose(float(filt[4]), math.exp(-26 * math.log(2) * 0.25 ** 16), rel_tol=1e-12)
    assert float(filt[30]) < 1e-30


def test_periodic_velocity_is_v_inside_odd_and_its_derivative_has_zero_mean():
    grid = Grid(Box(1.0, 10.0), 1, 256)
    g, dg = periodic_velocity(grid, 1.0)
    v = grid.v()
    inside = v.abs() < 8.5
    torch.testing.assert_close(g[inside], v[inside], atol=1e-8, rtol=0)
    torch.testing.assert_close(dg[inside], torch.ones_like(v[inside]), atol=1e-12, rtol=0)
    assert abs(float(g[0])) < 1e-10  # odd and periodic: g(-v_max) = g(v_max) = 0
    torch.testing.assert_close(g[1:].flip(0), -g[1:], atol=1e-10, rtol=0)  # odd about v = 0
