"""Stochastic gradient Langevin dynamics (Welling & Teh 2011), the comparison method.

``x <- x - lr (g + weight_decay x) + s xi``, ``xi ~ N(0, I)`` per element, with ``s = sqrt(2 lr T)``
(temperature ``T`` in units of the training loss, following the current lr) or a fixed ``s = noise_std``.
Matching the rounding noise of a lattice of resolution Q: ``T = 1/(24 lr Q^2)`` or
``noise_std = 1/(Q sqrt(12))`` (per-step variance ``1/(12 Q^2)`` either way at constant lr).
The noise generator's state is part of the state dict (exact resume).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch.optim import Optimizer

from .lattice import group_by_device_dtype
from .rng import DeviceGenerators, draw_seed


class SGLD(Optimizer):
    def __init__(self, params, lr: float = 1e-2, temperature: float = 0.0, noise_std: float | None = None,
                 weight_decay: float = 0.0, seed: int | None = None) -> None:
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if temperature < 0 or (noise_std is not None and noise_std < 0) or weight_decay < 0:
            raise ValueError("temperature, noise_std and weight_decay must be >= 0")
        super().__init__(params, dict(lr=lr, temperature=temperature, noise_std=noise_std,
                                      weight_decay=weight_decay))
        self._gens = DeviceGenerators(draw_seed() if seed is None else seed)

    def noise_std(self, group: dict[str, Any]) -> float:
        if group["noise_std"] is not None:
            return float(group["noise_std"])
        return math.sqrt(2.0 * group["lr"] * group["temperature"])

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            std = self.noise_std(group)
            wd = group["weight_decay"]
            with_grad = [p for p in group["params"] if p.grad is not None]
            for (device, _), ps in group_by_device_dtype(with_grad).items():
                grads = [p.grad for p in ps]
                if wd:
                    grads = torch._foreach_add(grads, ps, alpha=wd)
                torch._foreach_add_(ps, grads, alpha=-group["lr"])
                if std > 0:
                    gen = self._gens.get(device)
                    noise = [torch.randn(p.shape, generator=gen, dtype=p.dtype, device=device) for p in ps]
                    torch._foreach_add_(ps, noise, alpha=std)
        return loss

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["sgld"] = {"generators": self._gens.state_dict()}
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        sd = dict(state_dict)
        extra = sd.pop("sgld", None)
        super().load_state_dict(sd)
        if extra is not None:
            self._gens.load_state_dict(extra["generators"])
