"""Snapshot epochs of the Langevin estimator and the mixture of samples."""

from __future__ import annotations

import numpy as np

from molgdl.uncertainty.plan import EstimatorPlan, SnapshotPlan
from molgdl.uncertainty.samples import mixture


def test_snapshots_lie_in_the_low_temperature_end_or_at_every_cycle_end():
    assert SnapshotPlan(0.5, 5).epochs(20) == [10, 12, 14, 17, 19]
    assert SnapshotPlan(0.5, 30).epochs(10) == [5, 6, 7, 8, 9]  # never more than the epochs available
    assert SnapshotPlan(0.8, 4, cycle_epochs=10).epochs(40) == [9, 19, 29, 39]
    assert SnapshotPlan(0.5, 8, cycle_epochs=10).epochs(20) == [5, 6, 8, 9, 15, 16, 18, 19]


def test_mixture_is_the_law_of_total_variance():
    rng = np.random.default_rng(0)
    means, variances = rng.normal(size=(7, 5, 2)), rng.uniform(size=(7, 5, 2))
    m, v = mixture(means, variances)
    assert np.allclose(m, means.mean(0)) and np.allclose(v, variances.mean(0) + means.var(0))


def test_member_zero_keeps_the_replicate_seed_and_members_differ():
    plan = EstimatorPlan(members=4)
    seeds = [plan.member_seed(3, k) for k in range(4)]
    assert seeds[0] == 3 and len(set(seeds)) == 4


def test_cyclical_schedule_restarts_every_cycle_and_snapshots_sit_at_cycle_ends():
    import math

    import torch

    from molgdl.builtin_params import CyclicalParams
    from molgdl.train.schedulers import cyclical_scheduler

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = cyclical_scheduler(opt, CyclicalParams(cycle_epochs=2, min_lr_ratio=0.1), steps_per_epoch=5,
                               max_epochs=6)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    # period 10 steps: 0.1 + 0.9 * (1 + cos(pi t / 10)) / 2
    assert lrs[:10] == [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t / 10)) for t in range(10)]
    assert lrs[10:20] == lrs[:10] == lrs[20:30]
    assert SnapshotPlan(0.5, 3, cycle_epochs=2).epochs(6) == [1, 3, 5]  # the lowest-lr epoch of each cycle
