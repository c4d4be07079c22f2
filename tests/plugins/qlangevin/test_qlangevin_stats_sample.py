"""Sampled diagnostics: estimates of the all-coordinate statistics, exact for small tensors, and free of any
effect on the step itself."""

from __future__ import annotations

import torch

from molgdl_qlangevin.optimizer import QuantizedOptimizer
from molgdl_qlangevin.schedules import ResolutionSchedule


def run(stats_every: int, stats_sample: int, shapes=((300, 200), (50,)), steps: int = 6):
    """SGD on noisy quadratic gradients whose steps straddle half a spacing (some freeze, some move)."""
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s, generator=gen)) for s in shapes]
    opt = QuantizedOptimizer(torch.optim.SGD(params, lr=0.05), ResolutionSchedule(eta=64.0, b=2, kind="constant"),
                             stats_every=stats_every, stats_sample=stats_sample)
    noise = torch.Generator().manual_seed(1)
    for _ in range(steps):
        for p in params:
            p.grad = p.detach() + 0.3 * torch.randn(p.shape, generator=noise)
        opt.step()
    return [p.detach().clone() for p in params], opt.epoch_stats()


def test_sampled_statistics_estimate_the_full_ones():
    _, full = run(1, 0)
    _, sampled = run(1, 1024)
    assert 0.05 < full["frozen_frac"] < 0.95  # a regime where the estimate has something to estimate
    # 1024 of 60,000 coordinates per step, 6 steps: binomial sd of a fraction <= sqrt(0.25 / 6144) = 0.0064
    for key in ("frozen_frac", "moved_frac"):
        assert abs(sampled[key] - full[key]) < 0.03, key
    assert abs(sampled["quant_err_rel"] - full["quant_err_rel"]) < 0.03 * full["quant_err_rel"] + 0.01
    assert sampled["frozen_frac"] != full["frozen_frac"]  # it did sample


def test_tensors_within_the_sample_size_give_the_exact_statistics():
    _, full = run(1, 0, shapes=((40, 30), (7,)))
    _, sampled = run(1, 4096, shapes=((40, 30), (7,)))
    assert sampled == full


def test_measuring_does_not_change_the_step():
    plain, _ = run(0, 0)
    measured, _ = run(1, 512)
    for a, b in zip(plain, measured):
        assert torch.equal(a, b)


def test_negative_sample_size_is_refused():
    import pytest

    with pytest.raises(ValueError, match="stats_sample"):
        QuantizedOptimizer(torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1),
                           ResolutionSchedule(eta=4.0, b=2, kind="constant"), stats_sample=-1)
