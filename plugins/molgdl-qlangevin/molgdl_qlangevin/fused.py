r"""Fused QSGD step: the SGD update and the rounding to the lattice in one compiled kernel per tensor.

.. math::
    d_k = g_k + \mathrm{wd}\, x_k, \quad b_k = \mu\, b_{k-1} + d_k, \quad
    x_{k+1} = Q^{-1}\, \mathrm{round}\big(Q\,(x_k - \lambda\, [d_k + \mu b_k \text{ (Nesterov) } | b_k])\big)

Exactly ``torch.optim.SGD`` (dampening 0) followed by :func:`molgdl_qlangevin.lattice.quantize_`, but one pass
over memory instead of four: an SGD step is a single ``axpy`` pass, and three more passes (``x Q``, round,
``x / Q``) cost about as much again (2x on a 1M-parameter MLP). ``torch.compile`` (Inductor: C++ on CPU,
Triton on CUDA) fuses the whole update into one loop per tensor. ``lr``, ``Q`` and ``1/Q`` are 0-d tensors so
that schedules do not trigger recompilation; the momentum buffers are the base SGD's own
(``state[p]["momentum_buffer"]``), so the state dict, resume, and the unfused path all see the same state.
``Q`` must be a power of two (``x Q`` and ``k / Q`` exact); the caller checks it.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch
from torch import Tensor

log = logging.getLogger(__name__)
_COMPILED: dict[tuple[bool, bool, bool], Callable] = {}
_BROKEN: list[str] = []  # the reason torch.compile failed once (then every step takes the unfused path)


def sgd_lattice_step_(params: list[Tensor], grads: list[Tensor], bufs: list[Tensor], lr: Tensor, q: Tensor,
                      inv_q: Tensor, momentum: float, weight_decay: float, *, use_momentum: bool, use_wd: bool,
                      nesterov: bool) -> None:
    """In place: SGD update of ``params`` (and ``bufs``), then rounding to ``Q^-1 Z`` (eager reference)."""
    for i in range(len(params)):
        p = params[i]
        d = grads[i]
        if use_wd:
            d = d + weight_decay * p
        if use_momentum:
            b = bufs[i] * momentum + d
            bufs[i].copy_(b)
            d = d + momentum * b if nesterov else b
        p.copy_(torch.round((p - lr * d) * q) * inv_q)


def compiled_step(use_momentum: bool, use_wd: bool, nesterov: bool) -> Callable | None:
    """The compiled step for these flags (``None`` when torch.compile is unavailable here)."""
    if _BROKEN:
        return None
    key = (use_momentum, use_wd, nesterov)
    if key not in _COMPILED:
        def step(params, grads, bufs, lr, q, inv_q, momentum, weight_decay):
            sgd_lattice_step_(params, grads, bufs, lr, q, inv_q, momentum, weight_decay, use_momentum=use_momentum,
                              use_wd=use_wd, nesterov=nesterov)

        # shape guards stay on (a new shape recompiles); Inductor's per-call size/stride asserts on the 19+
        # inputs are what they would re-check, and cost ~75 us per call, a tenth of a 1M-parameter SGD step
        _COMPILED[key] = torch.compile(step, dynamic=False, fullgraph=True, options={"size_asserts": False})
    return _COMPILED[key]


class StepScalars:
    """``lr``, ``Q`` and ``1/Q`` as 0-d tensors per device and dtype, rewritten only when a value changes
    (a fresh ``torch.tensor`` per step costs as much as a tenth of a 1M-parameter SGD step)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[torch.device, torch.dtype], tuple[tuple[float, float], list[Tensor]]] = {}

    def get(self, device: torch.device, dtype: torch.dtype, lr: float, q: float) -> list[Tensor]:
        values, tensors = self._cache.get((device, dtype), (None, None))
        if values != (lr, q):
            tensors = [torch.tensor(v, device=device, dtype=dtype) for v in (lr, q, 1.0 / q)]
            self._cache[(device, dtype)] = ((lr, q), tensors)
        return tensors


def fused_sgd_lattice_step_(params: list[Tensor], grads: list[Tensor], bufs: list[Tensor], scalars: list[Tensor],
                            momentum: float, weight_decay: float, nesterov: bool) -> bool:
    """Run the compiled step on one device/dtype group (``scalars``: ``[lr, Q, 1/Q]`` from
    :class:`StepScalars`); ``False`` (nothing changed) if compilation fails, after which the caller takes the
    unfused path (a warning is logged once)."""
    use_momentum, use_wd = momentum != 0.0, weight_decay != 0.0
    fn = compiled_step(use_momentum, use_wd, nesterov)
    if fn is None:
        return False
    try:
        fn(params, grads, bufs, *scalars, momentum, weight_decay)
    except Exception as exc:  # no C++ compiler / Triton: keep training, unfused
        _BROKEN.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
        log.warning("qsgd fused: torch.compile failed (%s); using the unfused step", _BROKEN[0])
        return False
    return True
