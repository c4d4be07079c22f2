"""The cosine schedule: over the epoch budget (closed form), and over a wall-time budget (``over_minutes``),
checked with a fake clock."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl.builtin_params import CosineParams
from molgdl.train import schedulers


def _lrs(sched, opt, steps):
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_epoch_budget_follows_the_closed_form():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = schedulers.cosine_scheduler(opt, CosineParams(min_lr_ratio=0.1), steps_per_epoch=5, max_epochs=4)
    got = _lrs(sched, opt, 25)
    want = [0.1 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / 20)))) for s in range(25)]
    assert got == pytest.approx(want, rel=1e-12)


def test_time_budget_decays_with_the_clock_not_the_steps(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(schedulers.time, "monotonic", lambda: now[0])
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = schedulers.cosine_scheduler(opt, CosineParams(min_lr_ratio=0.0, over_minutes=2.0), steps_per_epoch=5,
                                        max_epochs=10_000)
    lrs = []
    for seconds in (0.0, 30.0, 60.0, 90.0, 120.0, 500.0):
        now[0] = 1000.0 + seconds
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05,
                                 0.1 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.0, 0.0], abs=1e-12)


def test_over_minutes_must_be_positive():
    with pytest.raises(ValueError):
        CosineParams(over_minutes=0)
