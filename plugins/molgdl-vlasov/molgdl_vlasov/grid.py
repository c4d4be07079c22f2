"""The periodic phase-space box ``[0, Lx) x [-Lv, Lv)`` and its uniform grids.

Arrays on a grid have shape ``[..., nx, nv]`` (x first). Units: the normalised plasma units of
Vlasov-Poisson (lengths in Debye lengths, velocities in thermal speeds, time in inverse plasma frequencies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Box:
    """``lx``: period in x (``2 pi / k``); ``v_max``: half-width of the periodic velocity interval."""

    lx: float
    v_max: float

    @property
    def lv(self) -> float:
        return 2.0 * self.v_max

    @classmethod
    def from_wavenumber(cls, k: float, v_max: float) -> "Box":
        return cls(2.0 * math.pi / k, v_max)


@dataclass(frozen=True)
class Grid:
    """A uniform ``nx x nv`` grid on ``box``: ``x_i = i dx``, ``v_j = -v_max + j dv``."""

    box: Box
    nx: int
    nv: int

    @property
    def dx(self) -> float:
        return self.box.lx / self.nx

    @property
    def dv(self) -> float:
        return self.box.lv / self.nv

    def x(self, dtype=torch.float64, device=None) -> Tensor:
        """Shape ``[nx]``."""
        return torch.arange(self.nx, dtype=dtype, device=device) * self.dx

    def v(self, dtype=torch.float64, device=None) -> Tensor:
        """Shape ``[nv]``."""
        return -self.box.v_max + torch.arange(self.nv, dtype=dtype, device=device) * self.dv

    def mesh(self, dtype=torch.float64, device=None) -> tuple[Tensor, Tensor]:
        """``(x, v)``, each ``[nx, nv]``."""
        return torch.meshgrid(self.x(dtype, device), self.v(dtype, device), indexing="ij")

    def kx(self, dtype=torch.float64, device=None) -> Tensor:
        """Angular wavenumbers of ``torch.fft.fft`` along x, shape ``[nx]``."""
        return 2 * math.pi * torch.fft.fftfreq(self.nx, d=self.dx, dtype=dtype, device=device)

    def kv(self, dtype=torch.float64, device=None) -> Tensor:
        """Angular wavenumbers of ``torch.fft.fft`` along v, shape ``[nv]``."""
        return 2 * math.pi * torch.fft.fftfreq(self.nv, d=self.dv, dtype=dtype, device=device)

    def wrap_v(self, v: Tensor) -> Tensor:
        """``v`` mapped into ``[-v_max, v_max)`` (the velocity interval is periodic)."""
        return torch.remainder(v + self.box.v_max, self.box.lv) - self.box.v_max
