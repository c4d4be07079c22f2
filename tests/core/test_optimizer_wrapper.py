"""``molgdl.train.wrapper``: a wrapper shares its base optimizer's groups and state, round-trips its own state,
and ``WrapperParams`` / ``build_base_optimizer`` check the wrapped optimizer."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch

from molgdl.errors import ConfigError
from molgdl.specs import WrapperParams
from molgdl.train.wrapper import OptimizerWrapper, build_base_optimizer


class Counting(OptimizerWrapper):
    """Steps the base optimizer and counts steps (its only state)."""

    state_key = "counting"

    def __init__(self, base):
        super().__init__(base)
        self.steps = 0

    def step(self, closure=None):
        loss = self.closure_loss(closure)
        self.base.step()
        self.steps += 1
        return loss

    def extra_state(self):
        return {"steps": self.steps}

    def load_extra_state(self, extra):
        self.steps = extra["steps"]


def _params():
    torch.manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3)), torch.nn.Parameter(torch.randn(2, 2))]


def test_wrapper_steps_like_its_base_and_shares_groups():
    a, b = _params(), _params()
    plain = torch.optim.Adam(a, lr=0.1)
    wrapped = Counting(torch.optim.Adam(b, lr=0.1))
    sched = torch.optim.lr_scheduler.StepLR(wrapped, step_size=1, gamma=0.5)
    assert wrapped.param_groups is wrapped.base.param_groups and wrapped.state is wrapped.base.state
    for _ in range(3):
        for p, q in zip(a, b):
            p.grad = torch.ones_like(p)
            q.grad = torch.ones_like(q)
        plain.step()
        wrapped.step()
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    sched.step()
    assert wrapped.base.param_groups[0]["lr"] == pytest.approx(0.05)  # the scheduler reached the base optimizer


def test_wrapper_state_dict_round_trip():
    b = _params()
    w = Counting(torch.optim.Adam(b, lr=0.1))
    for p in b:
        p.grad = torch.ones_like(p)
    w.step(), w.step()
    sd = w.state_dict()
    assert sd["counting"] == {"steps": 2} and "state" in sd
    fresh = Counting(torch.optim.Adam(b, lr=0.1))
    groups = fresh.param_groups
    fresh.load_state_dict(sd)
    assert fresh.steps == 2 and fresh.param_groups is groups and fresh.base.param_groups is groups
    assert torch.equal(fresh.state[b[0]]["exp_avg"], w.state[b[0]]["exp_avg"])
    with pytest.raises(TypeError, match="already a Counting"):
        Counting(fresh)


def test_wrapper_params_and_base_builder():
    class P(WrapperParams):
        refused_bases: ClassVar[tuple[str, ...]] = ("counting",)
        refused_reason: ClassVar[str] = "wraps itself"

    assert P().base == {"name": "adam"}
    with pytest.raises(ValueError, match="base 'counting': wraps itself"):
        P(base={"name": "counting"})
    with pytest.raises(ValueError, match="needs a name"):
        P(base={"lr": 0.1})
    opt = build_base_optimizer({"name": "sgd", "lr": 0.5}, _params())
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["lr"] == 0.5
    with pytest.raises(ConfigError, match="optimizer.base"):
        build_base_optimizer({"name": "sgd", "lrr": 0.5}, _params())
