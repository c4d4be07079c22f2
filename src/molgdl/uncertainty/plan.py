"""What an uncertainty estimator asks of training and prediction: an ``EstimatorPlan`` (plain data), returned by
the factory of every registered ``uncertainty`` component.

A replicate trains ``members`` models (seeds derived from the replicate's seed, optionally on bootstrap resamples
of its training split), keeps ``snapshots`` of the weights along one trajectory, or both; at prediction every kept
model runs ``passes`` forward passes (dropout active when ``passes > 1``). Each pass gives a mean and (mve,
evidential heads) a variance; the estimate is the mixture: mean of means, mean of variances plus variance of means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class SnapshotPlan:
    """Weights kept at the end of chosen epochs (0-based) of one training trajectory.

    ``start_fraction``: snapshots only after this fraction of ``max_epochs`` (or of each cycle), the
    low-temperature end of an annealed Langevin schedule; ``count``: snapshots in all; ``cycle_epochs``: a
    cyclical schedule's period in epochs (snapshots at the end of every cycle, Zhang et al. 2020)."""

    start_fraction: float = 0.5
    count: int = 10
    cycle_epochs: int | None = None

    def epochs(self, max_epochs: int) -> list[int]:
        if self.cycle_epochs is None:
            return _spread(math.ceil(self.start_fraction * max_epochs), max_epochs - 1, self.count)
        c = self.cycle_epochs
        cycles = max(1, max_epochs // c)
        per = max(1, self.count // cycles)
        out: list[int] = []
        for j in range(cycles):
            end = min((j + 1) * c, max_epochs) - 1
            out += _spread(j * c + math.ceil(self.start_fraction * c), end, per)
        return sorted(set(out))


def _spread(first: int, last: int, count: int) -> list[int]:
    first = min(first, last)
    return sorted({int(round(e)) for e in np.linspace(last, first, count)}) if count > 0 else []


@dataclass(frozen=True)
class EstimatorPlan:
    head: Literal["point", "mve", "evidential"] = "point"
    members: int = 1
    bootstrap: bool = False
    cv_folds: bool = False
    passes: int = 1
    snapshots: SnapshotPlan | None = None
    evidential_lambda: float = 0.2
    tasks: tuple[str, ...] = ("regression", "classification")
    optimizers: tuple[str, ...] = ()  # when not empty: the optimizers the estimator samples with
    needs_dropout: bool = False

    def member_seed(self, seed: int, k: int) -> int:
        """Seed of member ``k`` of the replicate of ``seed`` (member 0 trains with the replicate's own seed)."""
        return seed if k == 0 else int(np.random.SeedSequence([seed, k]).generate_state(1)[0] % (2 ** 31))


def plan_of(res) -> EstimatorPlan | None:
    """The estimator plan of a resolved config (``molgdl.run.resolve.Resolved``), None without ``uncertainty:``."""
    if res.config.uncertainty is None:
        return None
    return res.build("uncertainty", "uncertainty.estimator")


def head_width(res) -> int:
    """Outputs per target of the model's head (1, or 2/4 for an mve/evidential head)."""
    from .losses import HEAD_WIDTH

    plan = plan_of(res)
    return 1 if plan is None else HEAD_WIDTH[plan.head]


def loss_fn(plan: EstimatorPlan | None):
    """The training loss ``(out, y) -> (loss, mask)`` of the plan's head, None for a point head (the task loss)."""
    if plan is None or plan.head == "point":
        return None
    from functools import partial

    from .losses import head_loss

    return partial(head_loss, plan.head, lam=plan.evidential_lambda)
