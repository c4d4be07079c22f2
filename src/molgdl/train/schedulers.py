"""Per-step learning-rate schedules (multipliers of the optimizer's lr)."""

from __future__ import annotations

import math
import time

import torch


def noam_scheduler(optimizer: torch.optim.Optimizer, params, steps_per_epoch: int, max_epochs: int):
    """chemprop's NoamLR: linear warm-up from ``init_lr_ratio`` to 1, then exponential decay to ``final_lr_ratio``."""
    warmup = max(1, int(params.warmup_epochs * steps_per_epoch))
    total = max(warmup + 1, max_epochs * steps_per_epoch)
    gamma = params.final_lr_ratio ** (1.0 / (total - warmup))

    def factor(step: int) -> float:
        if step < warmup:
            return params.init_lr_ratio + (1 - params.init_lr_ratio) * step / warmup
        return gamma ** (step - warmup)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def cosine_scheduler(optimizer: torch.optim.Optimizer, params, steps_per_epoch: int, max_epochs: int):
    """Linear warm-up, then cosine decay to ``min_lr_ratio`` over the epoch budget, or over ``over_minutes`` of
    wall time (measured from the scheduler's creation at the start of training) when that is set."""
    warmup = int(params.warmup_epochs * steps_per_epoch)
    total = max(warmup + 1, max_epochs * steps_per_epoch)
    over_seconds = None if getattr(params, "over_minutes", None) is None else 60.0 * params.over_minutes
    start = time.monotonic()

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if over_seconds is not None:
            t = min(1.0, (time.monotonic() - start) / over_seconds)
        else:
            t = min(1.0, (step - warmup) / (total - warmup))
        return params.min_lr_ratio + (1 - params.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def cyclical_scheduler(optimizer: torch.optim.Optimizer, params, steps_per_epoch: int, max_epochs: int):
    """Cyclical cosine (cSG-MCMC, Zhang et al. 2020): every ``cycle_epochs`` the factor restarts at 1 and decays
    as a half cosine to ``min_lr_ratio``; Langevin snapshots at each cycle's end sample a new mode
    (``uncertainty: {estimator: {name: langevin, cycle_epochs: ...}}``)."""
    period = max(1, int(round(params.cycle_epochs * steps_per_epoch)))

    def factor(step: int) -> float:
        t = (step % period) / period
        return params.min_lr_ratio + (1 - params.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
