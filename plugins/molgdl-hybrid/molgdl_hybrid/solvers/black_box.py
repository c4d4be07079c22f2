"""A solver autograd cannot see through: scipy's ``solve_ivp`` on the torch right-hand side of a core.

Each step converts the state to numpy, integrates ``du/dt = F(u) + correction(u)`` over ``[0, h]`` (all batch
members as one system) and converts back: the setting of Ouala et al., whose L63 core runs in scipy ``odeint``."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .integrators import Field


class ScipySolver:
    """``step`` through ``scipy.integrate.solve_ivp`` (``differentiable = False``); ``rhs`` is the torch core."""

    differentiable = False

    def __init__(self, rhs: Field, dim: int, method: str = "DOP853", rtol: float = 1e-9, atol: float = 1e-9) -> None:
        self._rhs = rhs
        self.dim = dim
        self.method = method
        self.rtol = rtol
        self.atol = atol

    def rhs(self, u: Tensor) -> Tensor:
        """The core's right-hand side ``F(u)`` in torch. Shapes: [B, dim] -> [B, dim]."""
        return self._rhs(u)

    def step(self, u: Tensor, h: float, correction: Field | None = None) -> Tensor:
        """One step of size ``h``. Shapes: u [B, dim] -> [B, dim] (same dtype and device, no graph)."""
        from scipy.integrate import solve_ivp

        shape, dtype, device = u.shape, u.dtype, u.device

        def f(t: float, flat: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                v = torch.as_tensor(flat.reshape(shape), dtype=dtype, device=device)
                du = self._rhs(v) if correction is None else self._rhs(v) + correction(v)
                return du.double().cpu().numpy().ravel()

        start = u.detach().double().cpu().numpy().ravel()
        sol = solve_ivp(f, (0.0, float(h)), start, method=self.method, rtol=self.rtol, atol=self.atol)
        return torch.as_tensor(sol.y[:, -1].reshape(shape), device=device).to(dtype)
