"""Phase-space velocity ``u = (g(v), E(x))`` of Vlasov-Poisson: spectral Poisson solve with the Gaussian
spectral filter, and the velocity made periodic in v with a smooth transition (Krah et al. 2023, Sec. 3;
``vPoisson.m``, ``setupKelvinFilteredOp_gauss_2p.m``, ``velocity_periodicfication.m``).

Convention (methods.md Sec. 7): ``df/dt + v df/dx + E df/dv = 0`` with ``dE/dx = int f dv - 1``, so the
characteristics are ``dx/dt = v, dv/dt = E``. ``u`` is divergence-free: ``d g(v)/dx + d E(x)/dv = 0``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .grid import Grid


def gaussian_filter(n: int, cutoff: float, order: int, dtype=torch.float64, device=None) -> Tensor:
    """``exp(-26 ln 2 (|m| / cutoff)^(2 order))`` for the FFT mode numbers ``m`` of an ``n``-point grid: 1 at
    ``m = 0``, ``2^-26`` at ``|m| = cutoff`` (``setupKelvinFilteredOp_gauss_2p``). Shape ``[n]``."""
    m = torch.fft.fftfreq(n, d=1.0 / n, dtype=dtype, device=device).abs()
    return torch.exp(-26 * math.log(2) * (m / cutoff) ** (2 * order))


def density(f: Tensor, grid: Grid) -> Tensor:
    """``rho(x) = int f dv`` by the periodic trapezoidal rule: ``[B, nx, nv] -> [B, nx]``."""
    return f.sum(-1) * grid.dv


def electric_field(rho: Tensor, grid: Grid, filt: Tensor | None = None) -> Tensor:
    """Jet ``(E, dE/dx)`` of the solution of ``dE/dx = rho - 1`` with zero mean: ``[B, nx] -> [B, 2, nx]``.

    ``filt [nx]`` multiplies the Fourier modes of the source (the Gaussian spectral filter) when given."""
    kx = grid.kx(rho.dtype, rho.device)
    src = torch.fft.fft(rho - 1.0)
    src[..., 0] = 0
    if filt is not None:
        src = src * filt
    ik = 1j * kx
    ik[0] = 1.0
    eh = src / ik
    if grid.nx % 2 == 0:
        eh[..., grid.nx // 2] = 0
        src = src.clone()
        src[..., grid.nx // 2] = 0
    return torch.stack([torch.fft.ifft(eh).real, torch.fft.ifft(src).real], dim=-2)


def _bump(s: Tensor) -> Tensor:
    inside = s.abs() < 1
    safe = torch.where(inside, 1 - s * s, torch.ones_like(s))
    return torch.where(inside, torch.exp(-1.0 / safe), torch.zeros_like(s))


def periodic_velocity(grid: Grid, width: float, refine: int = 16) -> Tensor:
    """Jet ``(g, g')`` on ``grid``'s v nodes, shape ``[2, nv]``: ``g' = 1`` away from ``+-v_max``, a smooth
    bump of half-width ``width`` around ``+-v_max`` brings the mean of ``g'`` to zero, so ``g`` is periodic,
    odd and equals ``v`` in the interior. ``g`` is integrated spectrally on a ``refine`` times finer grid."""
    vm = grid.box.v_max
    fine = Grid(grid.box, 1, grid.nv * refine)
    v = fine.v()
    bump = _bump((v.abs() - vm) / width)  # centred on the periodic seam v = -v_max ~ v_max
    h = 1.0 - bump * (grid.box.lv / (bump.sum() * fine.dv))
    hh = torch.fft.fft(h)
    kv = fine.kv()
    ik = 1j * kv
    ik[0] = 1.0
    gh = hh / ik
    gh[0] = 0
    g = torch.fft.ifft(gh).real
    g = g - g[fine.nv // 2]  # g(0) = 0
    return torch.stack([g[::refine], h[::refine]])
