"""Conserved quantities and field modes of a phase-space density (``measure.m`` of CMM_VP_Matlab).

All integrals are periodic trapezoidal sums on the grid the density is sampled on.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .grid import Grid

QUANTITIES = ("mass", "momentum", "kinetic_energy", "potential_energy", "total_energy", "l2_norm")
DRIFTS = {"mass": "mass_drift", "total_energy": "energy_drift", "l2_norm": "l2_drift"}


def measure(f: Tensor, e: Tensor, grid: Grid) -> dict[str, Tensor]:
    """Shapes: ``f [B, nx, nv]``, ``e [B, nx]`` (the field on the same x nodes) -> dict of ``[B]`` tensors:
    mass, momentum, kinetic/potential/total energy, L2 norm (``int f^2``), and the first Fourier mode of E:
    ``e1_abs = |E^_1| / nx`` and ``e1_signed = -2 Im(E^_1) / nx`` (the amplitude of ``sin(k x)``)."""
    v = grid.v(f.dtype, f.device)
    cell = grid.dx * grid.dv
    out = {"mass": f.sum((-2, -1)) * cell,
           "momentum": (f * v).sum((-2, -1)) * cell,
           "kinetic_energy": 0.5 * (f * v * v).sum((-2, -1)) * cell,
           "potential_energy": 0.5 * (e * e).sum(-1) * grid.dx,
           "l2_norm": (f * f).sum((-2, -1)) * cell}
    out["total_energy"] = out["kinetic_energy"] + out["potential_energy"]
    e1 = torch.fft.fft(e)[..., 1] / grid.nx
    out["e1_abs"] = e1.abs()
    out["e1_signed"] = -2 * e1.imag
    return out


def drifts(now: dict, first: dict) -> dict:
    """Relative drifts ``|Q(t) - Q(0)| / |Q(0)|`` of mass, total energy and L2 norm (tensors or floats)."""
    return {name: abs(now[q] - first[q]) / abs(first[q]) for q, name in DRIFTS.items()}
