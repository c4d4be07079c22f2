"""Backward characteristic maps as Hermite-cubic displacement jets, and their composition.

A map ``X(x, v) = (x, v) + D(x, v)`` is stored through its displacement jet ``D [B, 2, 4, nx, nv]``
(component 0: x, 1: v; jet entries: value, d/dx, d/dv, d2/dxdv at the map-grid nodes). The displacement is
periodic in x and v, so a map is a periodic Hermite interpolant (Krah et al. 2023, ``HMapCompose.m``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .grid import Grid
from .hermite import DERIVS, interp_2d


def identity(grid: Grid, batch: int, dtype=torch.float64, device=None) -> Tensor:
    """The identity map: zero displacement jets, ``[batch, 2, 4, nx, nv]``."""
    return torch.zeros(batch, 2, 4, grid.nx, grid.nv, dtype=dtype, device=device)


def chain_rule(outer: Tensor, inner: Tensor) -> Tensor:
    """Jet of ``F o (id + D)`` at the grid nodes from ``F``'s derivatives at the displaced nodes.

    Shapes: ``outer [B, C, 6, nx, nv]`` (``F, F_x, F_v, F_xx, F_xv, F_vv`` in the order of ``hermite.DERIVS``,
    evaluated at ``(x, v) + D``), ``inner [B, 2, 4, nx, nv]`` (the jet ``D``) -> ``[B, C, 4, nx, nv]``."""
    xx = 1 + inner[:, 0, 1]
    xv = inner[:, 0, 2]
    vx = inner[:, 1, 1]
    vv = 1 + inner[:, 1, 2]
    xxv, vxv = inner[:, 0, 3], inner[:, 1, 3]
    f, fx, fv, fxx, fxv, fvv = (outer[:, :, i] for i in range(6))
    xx, xv, vx, vv, xxv, vxv = (a.unsqueeze(1) for a in (xx, xv, vx, vv, xxv, vxv))
    dx = fx * xx + fv * vx
    dv = fx * xv + fv * vv
    dxv = fxx * xx * xv + fxv * (xx * vv + xv * vx) + fvv * vx * vv + fx * xxv + fv * vxv
    return torch.stack([f, dx, dv, dxv], dim=2)


def displaced_nodes(inner: Tensor, grid: Grid) -> tuple[Tensor, Tensor]:
    """The nodes moved by the displacement ``inner [B, 2, 4, nx, nv]``: ``(x, v)``, each ``[B, nx*nv]``."""
    xg, vg = grid.mesh(inner.dtype, inner.device)
    b = inner.shape[0]
    return (xg + inner[:, 0, 0]).reshape(b, -1), (vg + inner[:, 1, 0]).reshape(b, -1)


def compose(outer: Tensor, inner: Tensor, grid: Grid) -> Tensor:
    """Displacement jet of ``X_outer o X_inner`` (both on ``grid``): ``D_in + D_out o (id + D_in)``.

    ``X_[0, t_n+1] = X_[0, t_n] o X_[t_n, t_n+1]``: pass the long map as ``outer``, the step as ``inner``."""
    x, v = displaced_nodes(inner, grid)
    vals = interp_2d(outer, grid, x, v, DERIVS).reshape(*outer.shape[:2], 6, grid.nx, grid.nv)
    return inner + chain_rule(vals, inner)


def apply(maps: list[Tensor], grid: Grid, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Pull points back through ``maps[0] o maps[1] o ... o maps[-1]`` (the last map acts first).

    Shapes: each map ``[B, 2, 4, nx, nv]``, ``x, v [B, P]`` -> foot points ``(x, v)``, each ``[B, P]``."""
    for d in reversed(maps):
        disp = interp_2d(d, grid, x, v)[:, :, 0]
        x, v = x + disp[:, 0], v + disp[:, 1]
    return x, v


def log_det_max(d: Tensor) -> Tensor:
    """``max |log det grad X|`` over the nodes, per batch element ``[B]`` (the remapping criterion)."""
    det = (1 + d[:, 0, 1]) * (1 + d[:, 1, 2]) - d[:, 0, 2] * d[:, 1, 1]
    return det.abs().clamp_min(1e-300).log().abs().amax(dim=(-2, -1))
