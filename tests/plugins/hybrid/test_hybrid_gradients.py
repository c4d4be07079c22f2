"""Gradient modes of molgdl-hybrid (molgdl_hybrid.gradients) against exact autodiff and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molgdl.errors import ConfigError
from molgdl_hybrid.gradients import MODES, ensemble_jacobian, hybrid_step, rollout, value_with_gradient_of
from molgdl_hybrid.params import LinearParams, Lorenz63Params, Lorenz63ScipyParams
from molgdl_hybrid.solvers.build import build_linear, build_lorenz63, build_lorenz63_scipy
from molgdl_hybrid.solvers.lorenz import lorenz63_truth

# the time steps of Ouala et al.'s convergence_plot.ipynb (methods.md section 2, correctness test 1)
STEPS = [1e-4, 5e-4, 1e-3, 3e-3, 5e-3, 8e-3, 1e-2, 3e-2, 5e-2, 8e-2, 1e-1]
A = [[-0.5, 1.0, 0.2], [-1.0, -0.5, 0.0], [0.3, 0.1, -0.2]]


def mlp(seed: int) -> torch.nn.Module:
    """The paper's M_theta: 3 -> 3 -> 3 -> 3 with tanh (float64)."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3), torch.nn.Tanh(),
                               torch.nn.Linear(3, 3)).double()


class Constant(torch.nn.Module):
    """M_theta(u) = theta, whatever u."""

    def __init__(self, theta: torch.Tensor) -> None:
        super().__init__()
        self.theta = torch.nn.Parameter(theta.clone())

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.theta.expand_as(u)


def flat_grad(solver, u0, h, n, net, mode, **kw) -> torch.Tensor:
    """Gradient of the rollout MSE to zero w.r.t. the correction's parameters (flattened)."""
    net.zero_grad()
    states = rollout(solver, u0, h, n, net, mode, **kw)
    (states ** 2).mean().backward()
    return torch.cat([p.grad.reshape(-1) for p in net.parameters()]).clone()


@pytest.fixture(scope="module")
def attractor() -> torch.Tensor:
    """60 initial states along the Lorenz-63 attractor, one time unit apart (float64 [60, 3])."""
    return torch.tensor(lorenz63_truth(dt=1.0, duration=59.0, spinup=5.0))


def test_static_ega_error_is_second_order_in_h(attractor):
    solver = build_lorenz63(Lorenz63Params())  # torch RK4: autograd through it is the exact gradient
    net = mlp(0)
    errors = np.array([(flat_grad(solver, attractor, h, 20, net, "static")
                        - flat_grad(solver, attractor, h, 20, net, "exact")).abs().mean().item() for h in STEPS])
    # O(n^2 h^2) holds while n h |dF/du| is small; with n = 20 that is h <= 1e-2 (0.2 time units); beyond,
    # the flow's Jacobians are far from I and the error grows more slowly (the benchmark plots the whole range)
    small = np.array(STEPS) <= 1e-2
    slope = np.polyfit(np.log(np.array(STEPS)[small]), np.log(errors[small]), 1)[0]
    assert 1.8 <= slope <= 2.2, (slope, errors)
    assert np.all(np.diff(errors) > 0), errors  # the error grows with h over the whole range


def test_first_order_mode_is_exact_for_a_linear_core_with_euler():
    h, n = 0.05, 7
    solver = build_linear(LinearParams(matrix=A, integrator="euler"))
    theta = torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64)
    u0 = torch.tensor([[1.0, -2.0, 0.5], [0.2, 0.4, -1.0]], dtype=torch.float64)
    net = Constant(theta)
    exact = flat_grad(solver, u0, h, n, net, "exact")
    first_order = flat_grad(solver, u0, h, n, net, "first_order")
    assert torch.allclose(first_order, exact, rtol=0, atol=1e-12)
    # closed form: u_k = J^k u0 + h sum_{j<k} J^j theta with J = I + h A; loss = mean over (n+1) B 3 entries
    jac = torch.eye(3, dtype=torch.float64) + h * torch.tensor(A, dtype=torch.float64)
    grad = torch.zeros(3, dtype=torch.float64)
    for k in range(n + 1):
        dk_dtheta = h * sum((torch.linalg.matrix_power(jac, j) for j in range(k)), torch.zeros(3, 3).double())
        uk = u0 @ torch.linalg.matrix_power(jac, k).T + theta @ dk_dtheta.T
        grad += 2.0 * (uk @ dk_dtheta).sum(0) / ((n + 1) * u0.numel())
    assert torch.allclose(exact, grad, rtol=0, atol=1e-12)
    # static EGA ignores the Jacobian of the flow: not exact here
    assert (flat_grad(solver, u0, h, n, net, "static") - exact).abs().max() > 1e-4


@pytest.mark.parametrize("solver", [build_lorenz63(Lorenz63Params()),
                                    build_lorenz63(Lorenz63Params(integrator="euler")),
                                    build_lorenz63_scipy(Lorenz63ScipyParams())], ids=["rk4", "euler", "scipy"])
def test_forward_values_are_the_black_box_output_bit_for_bit(solver):
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))  # float32
    u0 = torch.tensor([[8.0, 0.0, 30.0], [-3.0, 2.0, 20.0]])
    with torch.no_grad():
        expected = [u0]
        for _ in range(5):
            expected.append(solver.step(expected[-1], 0.01, net))
        expected = torch.stack(expected)
    for mode in MODES[1:]:
        states = rollout(solver, u0, 0.01, 5, net, mode, generator=torch.Generator().manual_seed(0))
        assert torch.equal(states, expected), mode
        assert states.requires_grad, mode


@pytest.mark.parametrize("integrator", ["euler", "rk4"])
def test_ensemble_recovers_the_jacobian_of_a_linear_step(integrator):
    h = 0.1
    solver = build_linear(LinearParams(matrix=A, integrator=integrator))
    net = Constant(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))  # an affine step: the Jacobian is unchanged
    u = torch.tensor([[1.0, -2.0, 0.5], [0.2, 0.4, -1.0]], dtype=torch.float64)
    with torch.no_grad():
        value = solver.step(u, h, net)
    est = ensemble_jacobian(solver, u, h, net, value, members=6, sigma=0.7, generator=torch.Generator().manual_seed(1))
    ha = h * torch.tensor(A, dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64)
    terms = [eye, ha] if integrator == "euler" else [eye, ha, ha @ ha / 2, ha @ ha @ ha / 6, ha @ ha @ ha @ ha / 24]
    assert torch.allclose(est, sum(terms).expand(2, 3, 3), rtol=0, atol=1e-12)


def test_ensemble_mode_gradient_is_exact_for_a_linear_euler_core():
    solver = build_linear(LinearParams(matrix=A, integrator="euler"))
    net = Constant(torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64))
    u0 = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    exact = flat_grad(solver, u0, 0.05, 6, net, "exact")
    ensemble = flat_grad(solver, u0, 0.05, 6, net, "ensemble", ensemble_members=5,
                         generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ensemble, exact, rtol=0, atol=1e-12)


def test_straight_through_and_static_differ_only_by_the_correction_jacobian():
    """One step: static passes the upstream gradient to u unchanged, straight-through adds h (dM/du)^T g."""
    solver = build_lorenz63(Lorenz63Params())
    net = mlp(1)
    u = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
    (hybrid_step(solver, u, 0.01, net, "static") * g).sum().backward()
    assert torch.equal(u.grad, g)
    u.grad = None
    (hybrid_step(solver, u, 0.01, net, "straight_through") * g).sum().backward()
    jac = torch.autograd.functional.jacobian(lambda v: net(v), u.detach())[0, :, 0, :]
    assert torch.allclose(u.grad, g + 0.01 * g @ jac, rtol=0, atol=1e-14)


def test_value_with_gradient_of_routes_the_gradient_to_the_surrogate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = value_with_gradient_of(torch.tensor([10.0, 20.0]), 3.0 * x)
    assert torch.equal(out.detach(), torch.tensor([10.0, 20.0]))
    out.sum().backward()
    assert torch.equal(x.grad, torch.tensor([3.0, 3.0]))


def test_exact_mode_refuses_a_black_box_solver():
    solver = build_lorenz63_scipy(Lorenz63ScipyParams())
    with pytest.raises(ConfigError, match="'exact' needs a differentiable solver.*ScipySolver"):
        rollout(solver, torch.zeros(1, 3), 0.01, 2, mlp(0).float(), "exact")


def test_unknown_mode_and_missing_rhs_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown gradient mode 'statc' \\(did you mean 'static'\\?\\)"):
        hybrid_step(build_lorenz63(Lorenz63Params()), torch.zeros(1, 3), 0.01, None, "statc")

    class NoRhs:
        dim, differentiable = 3, False

        def step(self, u, h, correction):
            return u

    with pytest.raises(ConfigError, match="'first_order' needs the core's right-hand side"):
        hybrid_step(NoRhs(), torch.zeros(1, 3), 0.01, None, "first_order")


def test_ensemble_jacobian_of_a_state_with_several_axes():
    """State [B, 2, 3], step u + h (u M^T + c) acting on the last axis: the Jacobian of the flattened state is
    kron(I_2, I + h M)."""
    m = torch.tensor(A, dtype=torch.float64)

    class Grid:
        dim, differentiable = 6, True

        def step(self, u, h, correction):
            return u + h * (u @ m.T + correction(u))

    u = torch.arange(12, dtype=torch.float64).reshape(2, 2, 3) / 7.0
    net = lambda v: torch.ones_like(v)  # noqa: E731
    with torch.no_grad():
        value = Grid().step(u, 0.1, net)
    est = ensemble_jacobian(Grid(), u, 0.1, net, value, members=8, generator=torch.Generator().manual_seed(2))
    expected = torch.kron(torch.eye(2, dtype=torch.float64), torch.eye(3, dtype=torch.float64) + 0.1 * m)
    assert est.shape == (2, 6, 6)
    assert torch.allclose(est, expected.expand(2, 6, 6), rtol=0, atol=1e-12)
    x = u.clone().requires_grad_(True)
    out = hybrid_step(Grid(), x, 0.1, net, "ensemble", ensemble_members=8, generator=torch.Generator().manual_seed(2))
    assert torch.equal(out.detach(), value)
    out.sum().backward()
    assert torch.allclose(x.grad.reshape(2, 6), torch.ones(2, 6).double() @ expected, rtol=0, atol=1e-12)


def test_static_mode_is_equation_19_of_the_paper(attractor):
    """Static EGA (Ouala et al., Corollary 2.1.2): dL/dtheta = sum_k h (dM(u_{k-1})/dtheta)^T sum_{j >= k} dL/du_j,
    with u_j the black-box states; computed here step by step, without the surrogate machinery."""
    solver = build_lorenz63(Lorenz63Params())
    net, h, n = mlp(4), 0.01, 6
    u0 = attractor[:5]
    with torch.no_grad():
        states = [u0]
        for _ in range(n):
            states.append(solver.step(states[-1], h, net))
    size = (n + 1) * u0.numel()
    upstream = [2.0 * s / size for s in states]  # d mean(u^2) / du_j, the direct part
    net.zero_grad()
    for k in range(1, n + 1):
        (h * net(states[k - 1]) * sum(upstream[k:])).sum().backward()
    expected = torch.cat([p.grad.reshape(-1) for p in net.parameters()]).clone()
    assert torch.allclose(flat_grad(solver, u0, h, n, net, "static"), expected, rtol=1e-12, atol=1e-15)
