"""Recurrence: free streaming of a cosine perturbation. The exact density mode decays as exp(-k^2 t^2 / 2);
the fixed-grid spectral solver brings it back at T_R = 2 pi / (k dv); CMM, whose map grid has the same dv,
does not (its fine structure lives in the map, f is sampled on a finer grid)."""

from __future__ import annotations

import math

import torch

from molgdl_vlasov.cases import initial_density
from molgdl_vlasov.field import density
from molgdl_vlasov.params import CMMParams, SpectralSLParams
from molgdl_vlasov.solvers import build_cmm, build_spectral_sl

K, EPS, N = 0.5, 0.5, 32
V_MAX = 4 * math.pi
T_R = 2 * math.pi / (K * 2 * V_MAX / N)  # = 16 with dv = 8 pi / 32


def _mode(sim) -> float:
    rho = density(sim.f, sim.sample_grid)[0]
    return float(2 * torch.fft.fft(rho)[1].abs() / rho.numel()) / EPS


def _run(solver, t_end: float, dt: float) -> list[tuple[float, float]]:
    sim = solver.simulate(initial_density("landau", K, EPS))
    out = [(0.0, _mode(sim))]
    for _ in range(round(t_end / dt)):
        sim.advance(dt)
        out.append((sim.t, _mode(sim)))
    return out


def test_spectral_solver_recurs_at_t_r_and_cmm_does_not():
    sl = build_spectral_sl(SpectralSLParams(k=K, v_max=V_MAX, n_x=16, n_v=N, self_consistent=False))
    cmm = build_cmm(CMMParams(k=K, v_max=V_MAX, n_map=N, n_sampling=128, self_consistent=False))
    dt = T_R / 32
    sl_modes, cmm_modes = _run(sl, T_R, dt), _run(cmm, T_R, dt)
    for (t, a), (_, b) in zip(sl_modes, cmm_modes):
        exact = math.exp(-K * K * t * t / 2)
        assert abs(b - exact) < 1e-10, t  # CMM follows the exact decay all the way
        if t <= 2:  # the spectral solver only while the filaments are coarse on its grid
            assert abs(a - exact) < 1e-8, t
    assert sl_modes[-1][1] > 0.99  # recurrence: the initial perturbation is back
    assert cmm_modes[-1][1] < 1e-10  # exact value exp(-32) ~ 1e-14
