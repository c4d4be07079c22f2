"""Lorenz-63: the right-hand side (torch and numpy), the truth trajectory, and the hybrid core.

The core of Ouala et al. (2024) drops the ``-beta * u3`` term of the third equation, so that a neural
correction has something to learn (the truth keeps it): ``du3/dt = u1 u2`` instead of ``u1 u2 - beta u3``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def lorenz63_rhs(u: Tensor, sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0,
                 drop_beta_term: bool = False) -> Tensor:
    """``F(u)`` of Lorenz-63 in torch. Shapes: [B, 3] -> [B, 3]."""
    x, y, z = u.unbind(-1)
    dz = x * y if drop_beta_term else x * y - beta * z
    return torch.stack([sigma * (y - x), x * (rho - z) - y, dz], dim=-1)


def lorenz63_numpy(t: float, s: np.ndarray, sigma: float, rho: float, beta: float) -> np.ndarray:
    """Full Lorenz-63 right-hand side for scipy (``s``: [3])."""
    return np.array([sigma * (s[1] - s[0]), s[0] * (rho - s[2]) - s[1], s[0] * s[1] - beta * s[2]])


def lorenz63_truth(dt: float = 0.01, duration: float = 60.0, spinup: float = 5.0,
                   x0: tuple[float, float, float] = (8.0, 0.0, 30.0), sigma: float = 10.0, rho: float = 28.0,
                   beta: float = 8.0 / 3.0, rtol: float = 1e-10, atol: float = 1e-10) -> np.ndarray:
    """The reference trajectory as in Ouala et al.: integrate ``spinup`` time units from ``x0``, then record
    ``duration`` time units every ``dt`` (scipy ``solve_ivp``, DOP853). Returns float64 [round(duration/dt)+1, 3]."""
    from scipy.integrate import solve_ivp

    args = (sigma, rho, beta)
    start = solve_ivp(lorenz63_numpy, (0.0, spinup), np.asarray(x0, dtype=float), method="DOP853",
                      rtol=rtol, atol=atol, args=args).y[:, -1]
    steps = int(round(duration / dt))
    times = np.arange(steps + 1) * dt
    sol = solve_ivp(lorenz63_numpy, (0.0, times[-1]), start, method="DOP853", t_eval=times,
                    rtol=rtol, atol=atol, args=args)
    return sol.y.T.copy()
