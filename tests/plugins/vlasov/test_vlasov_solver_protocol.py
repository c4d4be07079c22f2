"""The SolverSpec protocol of the Vlasov solvers: state layout, continuation, restart from samples,
correction, and the spectral solver's rhs against a finite difference of its step."""

from __future__ import annotations

import math

import torch

from molgdl.plugins import create_plugin_manager
from molgdl.registry import Registry
from molgdl_vlasov.cases import initial_density
from molgdl_vlasov.params import CMMParams, SpectralSLParams

F0 = initial_density("landau", 0.5, 0.1)


def _spec(name):
    return Registry(create_plugin_manager()).get("solver", name)


def test_cmm_step_continues_its_own_run_and_restarts_from_samples():
    spec = _spec("cmm_vlasov_poisson")
    solver = spec.factory(CMMParams(n_map=16, n_sampling=32, v_max=6.0))
    assert solver.dim == 32 * 32 and not solver.differentiable
    u = solver.initial_state(F0)
    native = solver.simulate(F0)
    for _ in range(4):
        u = solver.step(u, 0.2)
        native.advance(0.2)
    torch.testing.assert_close(u, native.f.reshape(1, -1), rtol=0, atol=2e-4)  # f0 interpolated vs analytic
    assert solver._sim.steps == 4  # one simulation, continued
    zero = solver.step(u, 0.2, lambda s: torch.zeros_like(s))
    again = solver.step(zero, 0.2)  # after a corrected step the solver restarts from the samples
    assert solver._sim.steps == 1 and again.shape == u.shape


def test_spectral_solver_is_batched_differentiable_and_its_rhs_is_the_step_derivative():
    spec = _spec("vlasov_spectral_sl")
    solver = spec.factory(SpectralSLParams(n_x=16, n_v=32, v_max=6.0))
    assert solver.differentiable
    u = solver.initial_state(F0)
    batch = torch.cat([u, 0.5 * u])
    out = solver.step(batch, 0.1)
    torch.testing.assert_close(out[:1], solver.step(u, 0.1))  # rows are independent
    h = 1e-4
    fd = (solver.step(u, h) - solver.step(u, -h)) / (2 * h)
    torch.testing.assert_close(fd, solver.rhs(u), rtol=0, atol=1e-6 * float(solver.rhs(u).abs().max()))
    c = torch.full_like(u, 0.3)
    torch.testing.assert_close(solver.step(u, 0.1, lambda s: c), solver.step(u, 0.1) + 0.1 * c)
    w = u.clone().requires_grad_(True)
    solver.step(w, 0.1).sum().backward()
    assert w.grad is not None and torch.isfinite(w.grad).all()
    assert math.isclose(float(u.sum() * solver.grid.dx * solver.grid.dv), 4 * math.pi, rel_tol=1e-6)
