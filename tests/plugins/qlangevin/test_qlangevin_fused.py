"""The fused QSGD step (the SGD update and the rounding in one pass: the C loop of ``native`` on the CPU, or one
torch.compile kernel) follows the unfused QSGD trajectory bit for bit (parameters; momentum buffers bit for bit
with the C loop, to round-off with the compiled kernel): across resolution levels, with momentum, Nesterov and
weight decay, with measured (unfused) steps in between, and through a state-dict round trip. Every test runs
both paths (``path`` fixture)."""

from __future__ import annotations

import pytest
import torch

from molgdl_qlangevin import native
from molgdl_qlangevin.factories import build_qsgd
from molgdl_qlangevin.optimizer import QuantizedOptimizer
from molgdl_qlangevin.params import QSGDParams
from molgdl_qlangevin.schedules import ResolutionSchedule


@pytest.fixture(params=["native", "compiled"])
def path(request, monkeypatch):
    """Which fused path runs: the CPU C loop, or torch.compile (the C loop switched off)."""
    if request.param == "native":
        if native.build() is None:
            pytest.skip("no C compiler here")
    else:
        monkeypatch.setattr(native, "supports", lambda *a, **k: False)
    return request.param


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
def test_fused_step_equals_unfused_bit_for_bit(kw, path):
    ref, ref_opt = train(False, **kw)
    got, got_opt = train(True, **kw)
    assert got_opt.resolution() == ref_opt.resolution() == 4096.0  # the next step's; the last one used 2048
    for a, b in zip(ref.parameters(), got.parameters()):
        assert torch.equal(a, b)
        assert torch.equal(b.detach() * 2048.0, torch.round(b.detach() * 2048.0))  # on the lattice
    if kw.get("momentum"):
        for p, q in zip(ref.parameters(), got.parameters()):
            got_buf, ref_buf = got_opt.state[q]["momentum_buffer"], ref_opt.state[p]["momentum_buffer"]
            if path == "native":  # the C loop rounds exactly as ATen's SGD does
                assert torch.equal(got_buf, ref_buf)
            else:  # the compiled kernel may contract mul + add into an FMA: buffers agree to the last bits
                torch.testing.assert_close(got_buf, ref_buf, rtol=1e-6, atol=1e-9)


def test_fused_resume_continues_exactly(path):
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
