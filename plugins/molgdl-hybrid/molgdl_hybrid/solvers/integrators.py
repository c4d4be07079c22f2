"""Explicit one-step integrators in plain torch, and a solver that steps a torch right-hand side with them."""

from __future__ import annotations

from typing import Callable

from torch import Tensor

Field = Callable[[Tensor], Tensor]


def euler(f: Field, u: Tensor, h: float) -> Tensor:
    """Explicit Euler: ``u + h f(u)``. Shapes: u [B, dim] -> [B, dim]."""
    return u + h * f(u)


def rk4(f: Field, u: Tensor, h: float) -> Tensor:
    """Classical fourth-order Runge-Kutta. Shapes: u [B, dim] -> [B, dim]."""
    k1 = f(u)
    k2 = f(u + 0.5 * h * k1)
    k3 = f(u + 0.5 * h * k2)
    k4 = f(u + h * k3)
    return u + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


INTEGRATORS: dict[str, Callable[[Field, Tensor, float], Tensor]] = {"rk4": rk4, "euler": euler}


class TorchSolver:
    """Steps ``du/dt = rhs(u) + correction(u)`` with an explicit integrator, ``substeps`` times per step.

    Written in torch, so autograd can see through it (``differentiable = True``); the gradient modes other than
    ``exact`` only call ``step`` under ``torch.no_grad()``."""

    differentiable = True

    def __init__(self, rhs: Field, dim: int, integrator: str = "rk4", substeps: int = 1) -> None:
        self._rhs = rhs
        self.dim = dim
        self.integrator = integrator
        self.substeps = substeps
        self._method = INTEGRATORS[integrator]

    def rhs(self, u: Tensor) -> Tensor:
        """The core's right-hand side ``F(u)``. Shapes: [B, dim] -> [B, dim]."""
        return self._rhs(u)

    def step(self, u: Tensor, h: float, correction: Field | None = None) -> Tensor:
        """One step of size ``h``. Shapes: u [B, dim] -> [B, dim]."""
        f = self._rhs if correction is None else (lambda v: self._rhs(v) + correction(v))
        dt = h / self.substeps
        for _ in range(self.substeps):
            u = self._method(f, u, dt)
        return u
