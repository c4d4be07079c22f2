"""The CPU loop of the fused QSGD step (``molgdl_qlangevin.native``): bit for bit ``torch.optim.SGD`` followed by
``quantize_`` in float32 and float64 for every flag combination (parameters and momentum buffers), and the
tensors it does not take or a missing compiler hand over to the next path without changing anything."""

from __future__ import annotations

import logging

import pytest
import torch

from molgdl_qlangevin import lattice, native

pytestmark = pytest.mark.skipif(native.build() is None, reason="no C compiler here")

FLAGS = [(0.0, 0.0, False), (0.9, 0.0, False), (0.9, 1e-2, True), (0.0, 1e-2, False), (0.5, 1e-3, False)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("momentum,weight_decay,nesterov", FLAGS)
def test_loop_equals_sgd_then_rounding(dtype, momentum, weight_decay, nesterov):
    g = torch.Generator().manual_seed(0)
    q, lr = 2.0 ** 10, 0.0123  # steps of ~4 spacings: most coordinates move, some stay
    mine = [torch.randn(s, generator=g, dtype=dtype) for s in [(1000, 37), (3,), (513,)]]  # tails of the SIMD loop
    lattice.quantize_(mine, q)
    ref = [torch.nn.Parameter(x.clone()) for x in mine]
    bufs = [torch.zeros_like(x) for x in mine] if momentum else []
    sgd = torch.optim.SGD(ref, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    for _ in range(5):
        grads = [torch.randn(x.shape, generator=g, dtype=dtype) * 0.3 for x in mine]
        for p, grad in zip(ref, grads):
            p.grad = grad.clone()
        assert native.sgd_lattice_step_(mine, grads, bufs, lr, q, momentum, weight_decay, nesterov)
        sgd.step()
        lattice.quantize_([p.data for p in ref], q)
        for x, p in zip(mine, ref):
            assert torch.equal(x, p.data)
        for b, p in zip(bufs, ref):
            assert torch.equal(b, sgd.state[p]["momentum_buffer"])
    assert all(torch.equal(x * q, torch.round(x * q)) for x in mine)


@pytest.mark.parametrize("case", ["half", "strided grad", "sparse grad", "mixed dtypes"])
def test_tensors_the_loop_does_not_take_are_left_alone(case):
    p = torch.randn(4, 6)
    grad = torch.randn(4, 6)
    if case == "half":
        p, grad = p.half(), grad.half()
    elif case == "strided grad":
        grad = torch.randn(6, 4).t()
    elif case == "sparse grad":
        grad = grad.to_sparse()
    params, grads = [p, torch.randn(3)], [grad, torch.randn(3)]
    if case == "mixed dtypes":
        params[1], grads[1] = params[1].double(), grads[1].double()
    before = [x.clone() for x in params]
    assert not native.sgd_lattice_step_(params, grads, [], 0.1, 256.0, 0.0, 0.0, False)
    assert all(torch.equal(a, b) for a, b in zip(before, params))


def test_missing_compiler_is_reported_once_and_declines(monkeypatch, caplog):
    monkeypatch.setattr(native, "_LIB", [])
    with caplog.at_level(logging.WARNING, logger="molgdl_qlangevin.native"):
        assert native.build("/nonexistent/cc") is None
    assert "could not compile the CPU kernel" in caplog.text and "/nonexistent/cc" in caplog.text
    p = torch.randn(5)
    assert not native.sgd_lattice_step_([p], [torch.randn(5)], [], 0.1, 256.0, 0.0, 0.0, False)


def _calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = native.sgd_lattice_step_

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(native, "sgd_lattice_step_", spy)
    return calls


def _qsgd_steps(steps: int = 3, **kw):
    from molgdl_qlangevin.factories import build_qsgd
    from molgdl_qlangevin.params import QSGDParams

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = build_qsgd(QSGDParams(lr=0.05, schedule="constant", stats_every=0, **kw), model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(8, 4)).pow(2).mean().backward()
        opt.step()
    return model


@pytest.mark.parametrize("kw,fused", [({}, True), ({"fused": False}, False), ({"eta": 1000.0}, False),
                                      ({"rounding": "stochastic", "seed": 0}, False)])
def test_default_qsgd_takes_the_loop_where_it_is_exact(monkeypatch, kw, fused):
    """fused: null (default) runs the C loop for power-of-two nearest rounding, and the unfused step otherwise
    (a non-power-of-two eta is not refused, as it is with fused: true)."""
    calls = _calls(monkeypatch)
    model = _qsgd_steps(**kw)
    assert bool(calls) == fused
    assert len(calls) in (0, 3)
    if fused:
        ref = _qsgd_steps(fused=False)
        assert all(torch.equal(a, b) for a, b in zip(model.parameters(), ref.parameters()))


def test_auto_mode_never_fuses_other_base_optimizers(monkeypatch):
    from molgdl_qlangevin.optimizer import QuantizedOptimizer
    from molgdl_qlangevin.schedules import ResolutionSchedule

    calls = _calls(monkeypatch)
    p = torch.nn.Parameter(torch.ones(3))
    for base in (torch.optim.Adam([p]), torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)):
        opt = QuantizedOptimizer(base, ResolutionSchedule(eta=256.0, b=2), stats_every=0)
        assert opt.fused_sgd is False
        p.grad = torch.ones(3)
        opt.step()
    assert not calls
