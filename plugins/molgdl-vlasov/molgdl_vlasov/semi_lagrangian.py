"""The reference fixed-grid solver: Strang-split semi-Lagrangian with exact Fourier shifts in x and v
(Cheng & Knorr 1976 with spectral interpolation; the pseudo-spectral reference of Krah et al. 2023).

``f [B, nx, nv]`` lives on a uniform periodic grid; the x-advection ``f(x - v h, v)`` and the v-advection
``f(x, v - E(x) h)`` are phase shifts of the FFT modes, so the scheme is spectral in phase space and second
order in time. Every operation is a differentiable torch op. A finite grid in v makes the solution recur at
``T_R = 2 pi / (k dv)`` (the filaments alias back onto the grid), which CMM avoids.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .field import density, electric_field, gaussian_filter
from .grid import Grid


class SpectralSL:
    """One Strang step ``X(h/2) V(h) X(h/2)`` on ``grid``; ``self_consistent=False`` freezes E at zero;
    ``filter_order`` applies the Gaussian filter (cutoff ``filter_cutoff`` in x-mode numbers) to the field."""

    def __init__(self, grid: Grid, self_consistent: bool = True, filter_order: int | None = None,
                 filter_cutoff: float | None = None) -> None:
        self.grid, self.self_consistent = grid, self_consistent
        self.filter_order = filter_order
        self.filter_cutoff = filter_cutoff if filter_cutoff is not None else grid.nx / 3

    def _filter(self, f: Tensor) -> Tensor | None:
        if self.filter_order is None:
            return None
        return gaussian_filter(self.grid.nx, self.filter_cutoff, self.filter_order, f.dtype, f.device)

    def shift_x(self, f: Tensor, h: float) -> Tensor:
        """``f(x - v h, v)``: shapes ``[B, nx, nv] -> [B, nx, nv]``."""
        kx = self.grid.kx(f.dtype, f.device)[:, None]
        v = self.grid.v(f.dtype, f.device)[None, :]
        return torch.fft.ifft(torch.fft.fft(f, dim=-2) * torch.exp(-1j * kx * v * h), dim=-2).real

    def shift_v(self, f: Tensor, e: Tensor, h: float) -> Tensor:
        """``f(x, v - E(x) h)`` with ``e [B, nx]``."""
        kv = self.grid.kv(f.dtype, f.device)
        return torch.fft.ifft(torch.fft.fft(f, dim=-1) * torch.exp(-1j * e[..., None] * kv * h), dim=-1).real

    def field(self, f: Tensor) -> Tensor:
        """Jet ``(E, dE/dx)`` of f's field, ``[B, 2, nx]`` (zeros when not self-consistent)."""
        if not self.self_consistent:
            return torch.zeros(f.shape[0], 2, self.grid.nx, dtype=f.dtype, device=f.device)
        return electric_field(density(f, self.grid), self.grid, self._filter(f))

    def step(self, f: Tensor, h: float) -> Tensor:
        """One Strang step of size ``h``."""
        f = self.shift_x(f, 0.5 * h)
        f = self.shift_v(f, self.field(f)[:, 0], h)
        return self.shift_x(f, 0.5 * h)

    def rhs(self, f: Tensor) -> Tensor:
        """``-v df/dx - E df/dv`` by spectral derivatives (the right-hand side F(f))."""
        g = self.grid
        kx = g.kx(f.dtype, f.device)[:, None]
        kv = g.kv(f.dtype, f.device)
        v = g.v(f.dtype, f.device)[None, :]
        fx = torch.fft.ifft(1j * kx * torch.fft.fft(f, dim=-2), dim=-2).real
        fv = torch.fft.ifft(1j * kv * torch.fft.fft(f, dim=-1), dim=-1).real
        return -v * fx - self.field(f)[:, 0, :, None] * fv
