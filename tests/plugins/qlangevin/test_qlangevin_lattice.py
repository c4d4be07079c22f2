"""The rounding operator: white-noise residual (KS), agreement with floor(Qx + 1/2), exactness in float32,
nested lattices, stochastic rounding, schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from molgdl_qlangevin.lattice import quantize_, quantized
from molgdl_qlangevin.schedules import ResolutionSchedule, level_cap, temperature


def continuous(n: int, seed: int, dtype=torch.float64, scale: float = 20.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, generator=g, dtype=torch.float64) - 0.5).mul(scale).to(dtype)


@pytest.mark.parametrize("q", [2.0**8, 1000.0 * 3**2])
def test_residual_is_uniform_white_noise(q):
    """Test 1: x_q - x ~ U[-1/(2Q), 1/(2Q)), variance 1/(12 Q^2) (KS test, 50k continuous inputs)."""
    x = continuous(50_000, seed=1)
    r = ((quantized(x, q) - x) * q).numpy()  # in lattice spacings
    assert r.min() >= -0.5 and r.max() <= 0.5
    assert stats.kstest(r, stats.uniform(loc=-0.5, scale=1.0).cdf).pvalue > 1e-3
    var = float(np.var((r / q)))
    assert var == pytest.approx(1.0 / (12 * q * q), rel=0.03)
    # and the residual is uncorrelated with the input position inside a cell (white noise, not a bias)
    assert abs(np.corrcoef(r, x.numpy())[0, 1]) < 0.02


@pytest.mark.parametrize("q", [2.0**6, 2.0**20, 10.0, 1000.0 * 3**4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_equals_floor_reference_and_is_exact(q, dtype):
    """Equal to Q^-1 floor(Q x + 1/2) (reference in float64, where Q x is exact for these inputs) except at
    exact ties, which go to the even index (unbiased); float32 results are the float32 rounding of the
    exact lattice point k/Q, and rounding a lattice point again returns it bit for bit."""
    x = continuous(20_000, seed=2, dtype=dtype, scale=8.0)
    got = quantized(x, q)
    y = x.double() * q
    k_ref = torch.floor(y + 0.5)
    k = torch.round(got.double() * q)
    tie = (y - torch.floor(y)) == 0.5
    assert torch.equal(k[~tie], k_ref[~tie])
    assert torch.all(k[tie] % 2 == 0) and torch.all((k[tie] - y[tie]).abs() == 0.5)
    if dtype == torch.float32 and q == 2.0**20:
        assert tie.float().mean() > 0.05  # lattice near float32 resolution: ties are common, not a null set
    else:
        assert not tie.any()
    assert torch.equal(got, (k / q).to(dtype))  # the float nearest to k / Q
    assert torch.equal(quantized(got, q), got)  # idempotent
    if math.frexp(q)[0] == 0.5:
        assert torch.equal(got.double() * q, k)  # power of two: exactly k 2^-m


def test_ties_round_to_even_without_drift():
    """At exact ties floor(Qx + 1/2) always goes up (a +spacing/2 bias wherever ties are frequent);
    the operator goes to the even index: no systematic drift."""
    q = 4.0
    x = torch.tensor([0.125, 0.375, -0.125, -0.375, 0.625])
    assert quantized(x, q).tolist() == [0.0, 0.5, 0.0, -0.5, 0.5]
    assert quantized(x, q).sum() == pytest.approx(x.sum() - 0.125)


def test_large_lattice_indices_do_not_drift():
    """float32 floor(Qx + 0.5) moves odd indices >= 2^23 by one spacing; the operator must not."""
    q = 2.0**10
    k = torch.arange(2**23 + 1, 2**23 + 200, 2, dtype=torch.float64)
    x = (k / q).float()
    assert torch.equal(quantized(x, q), x)
    assert not torch.equal(torch.floor(x * q + 0.5) / q, x)  # the naive float32 formula does drift


@pytest.mark.parametrize("eta, b", [(2.0**10, 2), (1024.0, 4), (1000.0, 3), (0.1, 3), (3.0, 2), (100.0, 10)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nested_lattices(eta, b, dtype):
    """Test 5: with integer b, a point of the level-h lattice is a point of every finer level, bit for bit."""
    s = ResolutionSchedule(eta=eta, b=b)
    x = quantized(continuous(20_000, seed=3, dtype=dtype, scale=4.0), s.resolution_at_level(1))
    for h in (1, 2, 3, 5):
        assert torch.equal(quantized(x, s.resolution_at_level(h)), x), f"level {h}"


def test_stochastic_rounding_is_unbiased():
    q = 4.0
    x = torch.full((200_000,), 0.3)  # fractional position f = 0.2 of a spacing
    gen = torch.Generator().manual_seed(0)
    xq = quantized(x, q, stochastic=True, generator=gen)
    assert set(torch.unique(xq).tolist()) == {0.25, 0.5}
    assert xq.double().mean().item() == pytest.approx(0.3, abs=1.2e-3)  # 5 standard errors
    assert xq.var().item() == pytest.approx(0.2 * 0.8 / q**2, rel=0.02)  # f(1 - f) / Q^2


def test_inplace_on_several_tensors_and_half_precision():
    xs = [continuous(100, seed=s, dtype=torch.float32, scale=2.0).reshape(10, 10) for s in range(3)]
    ref = [quantized(x, 64.0) for x in xs]
    quantize_(xs, 64.0)
    assert all(torch.equal(a, b) for a, b in zip(xs, ref))
    h = torch.tensor([100.3, -7.77], dtype=torch.float16)
    assert quantized(h, 2.0**10).tolist() == [100.3125, -7.76953125]


def test_schedules():
    lin = ResolutionSchedule(eta=1.0, b=2, h0=1, kind="linear", rate=0.3)
    assert [lin.level(t) for t in (0, 3.33, 10 / 3, 10)] == [1, 1, 2, 4]  # 0.3 * 10/3 = 1 (not 0.999..)
    step = ResolutionSchedule(eta=1.0, b=2, kind="step", step_every=2.5, step_size=2, h_max=5)
    assert [step.level(t) for t in (0, 2.49, 2.5, 5, 100)] == [0, 0, 2, 4, 5]
    log = ResolutionSchedule(eta=1.0, b=2, kind="log", tau=1.0)
    assert [log.level(t) for t in (0, 13.9, 14, 1000, 65533, 65534)] == [0, 0, 1, 1, 1, 2]
    assert ResolutionSchedule(eta=5.0, b=3, kind="constant", h0=2).resolution(123.0) == 45.0
    huge = ResolutionSchedule(eta=1.0, b=2, kind="linear", rate=100.0)
    assert huge.level(1e6) == level_cap(1.0, 2) == 64
    ts = np.linspace(0, 500, 2001)
    for sched in (lin, step, log, huge):
        levels = [sched.level(t) for t in ts]
        assert levels == sorted(levels), sched.kind  # non-decreasing


def test_log_schedule_is_annealing_compatible():
    """T(t) >= T(0) ln 2 / ln(t/tau + 2) (the Geman-Hwang form) for the log schedule."""
    s = ResolutionSchedule(eta=2.0**10, b=2, kind="log", tau=0.5)
    lr = 1e-3
    t0 = temperature(lr, s.resolution(0.0))
    for t in np.geomspace(1e-3, 1e6, 400):
        assert temperature(lr, s.resolution(t)) >= t0 * math.log(2) / math.log(t / 0.5 + 2) * (1 - 1e-12)


def test_schedule_rejects_bad_values():
    with pytest.raises(ValueError, match="b must be an integer >= 2"):
        ResolutionSchedule(eta=1.0, b=1)
    with pytest.raises(ValueError, match="unknown schedule"):
        ResolutionSchedule(eta=1.0, b=2, kind="cosine")
    with pytest.raises(ValueError, match="training time"):
        ResolutionSchedule(eta=1.0, b=2).level(-1.0)
