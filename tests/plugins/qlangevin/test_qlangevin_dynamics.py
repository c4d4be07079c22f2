"""The quantized optimizers as dynamics: the high-resolution limit, the stationary variance on a quadratic
(white-noise regime), freezing in the small-step regime, nested levels along a run, and SGLD."""

from __future__ import annotations

import pytest
import torch

from molgdl_qlangevin.optimizer import QuantizedOptimizer
from molgdl_qlangevin.schedules import ResolutionSchedule
from molgdl_qlangevin.sgld import SGLD


def wrap(base, eta, b=2, kind="constant", **kw):
    return QuantizedOptimizer(base, ResolutionSchedule(eta=eta, b=b, kind=kind, **{k: kw.pop(k) for k in list(kw)
                                                                                   if k in ("h0", "rate", "h_max")}),
                              **kw)


def least_squares(seed: int, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(40, 10, generator=g, dtype=dtype)
    y = torch.randn(40, generator=g, dtype=dtype)
    return lambda x: ((a @ x - y) ** 2).mean()


def trajectory(opt_factory, loss, steps, dtype=torch.float64, init=None):
    x = torch.nn.Parameter(torch.full((10,), 0.5, dtype=dtype) if init is None else init.clone())
    opt = opt_factory([x])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss(x).backward()
        opt.step()
        out.append(x.detach().clone())
    return torch.stack(out), opt


@pytest.mark.parametrize("base", [
    lambda p: torch.optim.Adam(p, lr=0.01, foreach=True),
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, foreach=True),
])
def test_high_resolution_limit_is_the_base_optimizer(base):
    """Test 2: with Q = 2^40 (float64) the trajectory equals the base optimizer's to round-off."""
    loss = least_squares(0)
    ref, _ = trajectory(base, loss, 200)
    got, _ = trajectory(lambda p: wrap(base(p), eta=2.0**40), loss, 200)
    assert (got - ref).abs().max().item() < 1e-10
    assert not torch.equal(got, ref)  # the rounding did act (at 2^-41)
    coarse, _ = trajectory(lambda p: wrap(base(p), eta=2.0**6), loss, 200)
    assert (coarse - ref).abs().max().item() > 1e-3  # while a coarse lattice visibly changes it


def quadratic_chain(lam, sigma, q, steps, n=20_000, seed=0, stats_every=0, dtype=torch.float32):
    """n independent chains x <- Q(x - lam (x + sigma xi)) started at 0; returns samples after burn-in."""
    x = torch.nn.Parameter(torch.zeros(n, dtype=dtype))
    opt = wrap(torch.optim.SGD([x], lr=lam, foreach=True), eta=q, stats_every=stats_every)
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for k in range(steps):
        x.grad = x.detach() + sigma * torch.randn(n, generator=gen, dtype=dtype)
        opt.step()
        if k >= 150:
            samples.append(x.detach().double().clone())
    return torch.stack(samples), opt


@pytest.mark.parametrize("q", [4.0, 5.0])  # spacing 0.25 (power of two, in place) and 0.2 (float64 path)
def test_stationary_variance_on_quadratic(q):
    """Test 3: f = x^2/2, g = x + sigma xi, white-noise regime: Var x = (lam^2 sigma^2 + D^2/12) / (1 - (1-lam)^2)."""
    lam, sigma, d = 0.1, 1.0, 1.0 / q
    xs, _ = quadratic_chain(lam, sigma, q, steps=450)
    predicted = (lam**2 * sigma**2 + d**2 / 12) / (1 - (1 - lam) ** 2)
    without_rounding = lam**2 * sigma**2 / (1 - (1 - lam) ** 2)
    var = xs.var().item()
    assert var == pytest.approx(predicted, rel=0.05)
    assert abs(var - without_rounding) / without_rounding > 0.2  # the test can tell the rounding noise apart
    assert xs.mean().abs().item() < 0.01


def test_small_steps_freeze_and_frozen_fraction_reports_it():
    """Test 4: lam |g| << D/2 (sigma = 0.1, D = 0.2): every update is rounded away, the variance is exactly 0
    (not the white-noise value), and epoch_stats says frozen_frac = 1."""
    lam, sigma, q = 0.1, 0.1, 5.0
    xs, opt = quadratic_chain(lam, sigma, q, steps=300, n=5000, stats_every=1)
    assert xs.var().item() == 0.0 and xs.abs().max().item() == 0.0
    wnh = (lam**2 * sigma**2 + 0.2**2 / 12) / (1 - (1 - lam) ** 2)
    assert wnh > 0.01
    stats = opt.epoch_stats()
    assert stats["frozen_frac"] == 1.0
    assert stats["measured_steps"] == 300
    assert stats["quant_err_rel"] < 0.1  # |step| ~ 0.01 of a 0.2 spacing, far from the white-noise 1/4
    assert stats["resolution"] == 5.0 and stats["temperature"] == pytest.approx(1 / (24 * lam * 25))
    # deterministic gradient descent freezes wherever lam |x| < D / 2, i.e. |x| < 1 here (1.4 -> 1.2 -> 1.0 -> 0.8)
    x = torch.nn.Parameter(torch.tensor([0.8, -0.6, 1.4]))
    opt = wrap(torch.optim.SGD([x], lr=lam), eta=q, stats_every=1)
    for _ in range(50):
        x.grad = x.detach().clone()
        opt.step()
    assert x.detach().tolist() == pytest.approx([0.8, -0.6, 0.8])
    assert opt.epoch_stats()["frozen_frac"] > 0.9
    # in the white-noise regime most coordinates move and the error is ~ 1/4 spacing
    _, opt = quadratic_chain(0.1, 1.0, 5.0, steps=200, n=5000, stats_every=1)
    stats = opt.epoch_stats()
    assert stats["frozen_frac"] < 0.75 and stats["quant_err_rel"] == pytest.approx(0.25, abs=0.02)


def test_measuring_does_not_change_the_trajectory():
    a, _ = quadratic_chain(0.1, 1.0, 4.0, steps=200, n=1000, stats_every=0)
    b, _ = quadratic_chain(0.1, 1.0, 4.0, steps=200, n=1000, stats_every=1)
    c, _ = quadratic_chain(0.1, 1.0, 5.0, steps=200, n=1000, stats_every=0)
    d, _ = quadratic_chain(0.1, 1.0, 5.0, steps=200, n=1000, stats_every=3)
    assert torch.equal(a, b) and torch.equal(c, d)


@pytest.mark.parametrize("eta, b", [(2.0**4, 2), (1000.0, 3)])
def test_levels_along_a_run_stay_nested(eta, b):
    """Test 5 along a run: with zero gradients the parameters never move while the resolution grows,
    and t = epoch + batch / B drives the schedule."""
    x = torch.nn.Parameter(torch.randn(500))
    opt = wrap(torch.optim.SGD([x], lr=0.1), eta=eta, b=b, kind="linear", rate=1.0, steps_per_epoch=4)
    x.grad = torch.zeros(500)
    opt.step()  # onto the level-0 lattice
    start = x.detach().clone()
    levels = []
    for _ in range(15):
        opt.step()
        levels.append(int(opt.epoch_stats()["level"]))
        assert torch.equal(x.detach(), start)
    assert levels == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]  # steps 1..15 at t = k / 4


def test_schedules_need_steps_per_epoch():
    x = torch.nn.Parameter(torch.zeros(3))
    opt = wrap(torch.optim.SGD([x], lr=0.1), eta=4.0, kind="linear")
    x.grad = torch.ones(3)
    with pytest.raises(RuntimeError, match="set_steps_per_epoch"):
        opt.step()
    with pytest.raises(ValueError, match="integer >= 1"):
        opt.set_steps_per_epoch(0)
    const = wrap(torch.optim.SGD([x], lr=0.1), eta=4.0)
    const.step()  # a constant schedule does not need it
    assert x.detach().tolist() == [0.0, 0.0, 0.0]  # -0.1 rounds to (-)0 on the 1/4 lattice


def test_sgld_noise_and_stationary_variance():
    n = 20_000
    x = torch.nn.Parameter(torch.zeros(n, dtype=torch.float64))
    lr, temp = 0.1, 0.05
    opt = SGLD([x], lr=lr, temperature=temp, seed=0)
    x.grad = torch.zeros(n, dtype=torch.float64)
    opt.step()
    assert x.detach().var().item() == pytest.approx(2 * lr * temp, rel=0.03)  # one step: variance 2 lr T
    samples = []
    for k in range(400):
        x.grad = x.detach().clone()
        opt.step()
        if k >= 150:
            samples.append(x.detach().clone())
    # OU: x' = (1 - lr) x + s xi  ->  Var = s^2 / (1 - (1 - lr)^2) = T / (1 - lr / 2)
    assert torch.stack(samples).var().item() == pytest.approx(temp / (1 - lr / 2), rel=0.05)
    y = torch.nn.Parameter(torch.zeros(n))
    fixed = SGLD([y], lr=1.0, noise_std=0.5, seed=1)
    y.grad = torch.ones(n)
    fixed.step()
    assert y.detach().mean().item() == pytest.approx(-1.0, abs=0.02)
    assert y.detach().std().item() == pytest.approx(0.5, rel=0.03)
