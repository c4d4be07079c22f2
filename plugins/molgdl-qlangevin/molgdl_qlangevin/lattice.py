"""Rounding tensors to the lattice ``Q^-1 * Z`` with the ``torch._foreach_*`` kernels.

Round to nearest: ``x -> round(Q x) / Q``. ``torch.round`` rounds half to even, so this equals the
paper's ``Q^-1 floor(Q x + 1/2)`` everywhere except exactly at ties (a null set for continuous inputs;
a tie goes to the even lattice index instead of up). The float32 ``floor(Q x + 0.5)`` is avoided on
purpose: for ``|Q x| >= 2^23`` the addition itself rounds and moves odd lattice points by one spacing.

Exactness. When ``Q`` is a power of two, ``x * Q`` and ``k * (1/Q)`` are exact in any binary float
format, so the rounding runs in place in the parameter dtype (float32/float64/bfloat16) and lattice
points are exact float32 numbers ``k 2^-m`` (for ``|k| < 2^24``). For any other ``Q`` the rounding runs
in float64 (``k = round(Q x)`` then ``k / Q`` correctly rounded, then cast): a float32 lattice point is
then ``fl32(k / Q)``, rounding it again returns it bit for bit (``|k| < 2^22``), and with integer ``b``
and ``eta * b^h`` exact in float64 (integers < 2^53, powers of two) ``fl32(bk / (bQ)) == fl32(k / Q)``,
so the nested-lattice property holds bit for bit as well. float16 parameters use float32 intermediates
(their range would overflow ``Q x``).

Stochastic rounding: ``x -> floor(Q x + u) / Q`` with ``u ~ U[0, 1)`` per element (one draw per element
and step from the caller's generator).

Shapes: every function takes a list of tensors of one device and dtype, any shapes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_INPLACE_POW2 = (torch.float32, torch.float64, torch.bfloat16)


def is_power_of_two(q: float) -> bool:
    return q > 0 and math.isfinite(q) and math.frexp(q)[0] == 0.5


def _work_dtype(dtype: torch.dtype, pow2: bool) -> torch.dtype:
    if pow2:
        return dtype if dtype in _INPLACE_POW2 else torch.float32
    return torch.float64


def quantize_(xs: list[Tensor], q: float, *, stochastic: bool = False,
              generator: torch.Generator | None = None) -> None:
    """Round every tensor of ``xs`` (one device and dtype) in place to the lattice of resolution ``q``."""
    if not xs:
        return
    pow2 = is_power_of_two(q)
    wdt = _work_dtype(xs[0].dtype, pow2)
    work = xs if wdt == xs[0].dtype else [x.to(wdt) for x in xs]
    torch._foreach_mul_(work, q)
    if stochastic:
        noise = [torch.rand(w.shape, generator=generator, dtype=w.dtype, device=w.device) for w in work]
        torch._foreach_add_(work, noise)
        torch._foreach_floor_(work)
    else:
        torch._foreach_round_(work)
    if pow2:
        torch._foreach_mul_(work, 1.0 / q)
    else:
        torch._foreach_div_(work, q)  # correctly rounded k / q (1/q is inexact)
    if work is not xs:
        torch._foreach_copy_(xs, work)


def quantized(x: Tensor, q: float, *, stochastic: bool = False, generator: torch.Generator | None = None) -> Tensor:
    """Out-of-place ``quantize_`` of one tensor (tests and analyses)."""
    out = x.detach().clone()
    quantize_([out], q, stochastic=stochastic, generator=generator)
    return out


def group_by_device_dtype(tensors: list[Tensor]) -> dict[tuple[torch.device, torch.dtype], list[Tensor]]:
    """Floating-point tensors grouped for the foreach kernels (other dtypes are left out)."""
    groups: dict[tuple[torch.device, torch.dtype], list[Tensor]] = {}
    for t in tensors:
        if t.is_floating_point():
            groups.setdefault((t.device, t.dtype), []).append(t)
    return groups
