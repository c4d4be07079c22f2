"""The fused QSGD step (one torch.compile kernel for the SGD update and the rounding) follows the unfused
QSGD trajectory bit for bit (parameters; momentum buffers to round-off): across resolution levels, with momentum, Nesterov and weight decay, with
measured (unfused) steps in between, and through a state-dict round trip."""

from __future__ import annotations

import pytest
import torch

from molgdl_qlangevin.factories import build_qsgd
from molgdl_qlangevin.optimizer import QuantizedOptimizer
from molgdl_qlangevin.params import QSGDParams
from molgdl_qlangevin.schedules import ResolutionSchedule


def train(fused: bool, steps: int = 24, state: dict | None = None, **kw):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = build_qsgd(QSGDParams(lr=0.05, eta=256.0, schedule="linear", rate=1.0, fused=fused, **kw),
                     model.parameters())
    opt.set_steps_per_epoch(6)  # 24 steps: levels 0..3, spacing 2^-8 .. 2^-11
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 8, generator=g), torch.randn(64, 1, generator=g)
    for _ in range(steps):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize("kw", [
    {"stats_every": 0},
    {"stats_every": 5, "momentum": 0.9},
    {"stats_every": 0, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
])
def test_fused_step_equals_unfused_bit_for_bit(kw):
    ref, ref_opt = train(False, **kw)
    got, got_opt = train(True, **kw)
    assert got_opt.resolution() == ref_opt.resolution() == 4096.0  # the next step's; the last one used 2048
    for a, b in zip(ref.parameters(), got.parameters()):
        assert torch.equal(a, b)
        assert torch.equal(b.detach() * 2048.0, torch.round(b.detach() * 2048.0))  # on the lattice
    if kw.get("momentum"):
        for p, q in zip(ref.parameters(), got.parameters()):
            # the compiled kernel may contract mul + add into an FMA: buffers agree to the last bits
            torch.testing.assert_close(got_opt.state[q]["momentum_buffer"], ref_opt.state[p]["momentum_buffer"],
                                       rtol=1e-6, atol=1e-9)


def test_fused_resume_continues_exactly():
    full, _ = train(True, steps=24, stats_every=0, momentum=0.9)
    half, opt = train(True, steps=12, stats_every=0, momentum=0.9)
    state = {"model": half.state_dict(), "opt": opt.state_dict()}
    resumed, _ = train(True, steps=12, state=state, stats_every=0, momentum=0.9)
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_fused_needs_plain_sgd():
    p = [torch.nn.Parameter(torch.zeros(3))]
    with pytest.raises(ValueError, match="torch.optim.SGD"):
        QuantizedOptimizer(torch.optim.Adam(p), ResolutionSchedule(eta=256.0, b=2), fused_sgd=True)
    with pytest.raises(ValueError, match="dampening"):
        QuantizedOptimizer(torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5), ResolutionSchedule(eta=256.0, b=2),
                           fused_sgd=True)
