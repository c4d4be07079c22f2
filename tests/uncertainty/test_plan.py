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
