"""Hermite-cubic interpolation of jets on a periodic grid (1-D and 2-D, vectorised).

A 2-D *jet* holds, at every node of an ``nx x nv`` grid, the value and the derivatives ``d/dx``, ``d/dv``,
``d2/dxdv`` of a function: shape ``[..., 4, nx, nv]``. The interpolant is the tensor product of the 1-D cubic
Hermite basis (``h0, h1`` for values, ``p0, p1`` for slopes); it reproduces every bicubic polynomial exactly
and is C1 across cells. A 1-D jet is ``[..., 2, n]`` (value, derivative). Derivatives of the interpolant up to
second order are returned in the order of ``DERIVS``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .grid import Grid

DERIVS = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))  # (order in x, order in v)


def cubic_basis(t: Tensor, h: float, order: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The ``order``-th derivative (0, 1 or 2) of ``h0, h1, p0, p1`` at local coordinate ``t`` in
    ``[0, 1)`` of a cell of width ``h`` (slope bases scaled by ``h``, derivatives by ``h**-order``)."""
    if order == 0:
        omt = 1 - t
        return (1 + 2 * t) * omt * omt, t * t * (3 - 2 * t), t * omt * omt * h, t * t * (t - 1) * h
    if order == 1:
        h0 = 6 * t * (t - 1) / h
        return h0, -h0, (1 - t) * (1 - 3 * t), t * (3 * t - 2)
    if order == 2:
        h0 = (12 * t - 6) / (h * h)
        return h0, -h0, (6 * t - 4) / h, (6 * t - 2) / h
    raise ValueError(f"order must be 0, 1 or 2, not {order}")


def _cell(coord: Tensor, origin: float, h: float, n: int) -> tuple[Tensor, Tensor, Tensor]:
    s = (coord - origin) / h
    i = torch.floor(s)
    t = s - i
    i0 = torch.remainder(i.long(), n)
    return i0, torch.remainder(i0 + 1, n), t


def interp_1d(jet: Tensor, q: Tensor, origin: float, h: float, orders: tuple[int, ...] = (0,)) -> Tensor:
    """Interpolate a periodic 1-D jet.

    Shapes: ``jet [..., 2, n]``, ``q [..., P]`` (leading dims broadcast against the jet's) ->
    ``[..., len(orders), P]``."""
    n = jet.shape[-1]
    i0, i1, t = _cell(q, origin, h, n)
    lead = torch.broadcast_shapes(jet.shape[:-2], q.shape[:-1])
    jet = jet.expand(*lead, 2, n)
    i0, i1, t = (a.expand(*lead, q.shape[-1]) for a in (i0, i1, t))
    f0, d0 = jet[..., 0, :].gather(-1, i0), jet[..., 1, :].gather(-1, i0)
    f1, d1 = jet[..., 0, :].gather(-1, i1), jet[..., 1, :].gather(-1, i1)
    out = []
    for order in orders:
        h0, h1, p0, p1 = cubic_basis(t, h, order)
        out.append(h0 * f0 + h1 * f1 + p0 * d0 + p1 * d1)
    return torch.stack(out, dim=-2)


def interp_2d(jet: Tensor, grid: Grid, x: Tensor, v: Tensor, derivs=((0, 0),)) -> Tensor:
    """Interpolate periodic 2-D jets at scattered points.

    Shapes: ``jet [B, C, 4, nx, nv]`` (C functions on ``grid``), ``x, v [B, P]`` ->
    ``[B, C, len(derivs), P]``; ``derivs`` holds ``(order in x, order in v)`` pairs, each order <= 2."""
    b, c = jet.shape[:2]
    nx, nv = grid.nx, grid.nv
    n = nx * nv
    ix0, ix1, tx = _cell(x, 0.0, grid.dx, nx)
    iv0, iv1, tv = _cell(v, -grid.box.v_max, grid.dv, nv)
    # index of (x-end a, v-end bb, jet entry m) in the flattened jet, shape [B, 2, 2, 4, P]
    node = torch.stack([torch.stack([ix0 * nv + iv0, ix0 * nv + iv1]),
                        torch.stack([ix1 * nv + iv0, ix1 * nv + iv1])])
    entry = torch.arange(4, device=x.device).view(1, 1, 4, 1, 1) * n
    idx = (node.unsqueeze(2) + entry).permute(3, 0, 1, 2, 4).reshape(b, 1, -1).expand(b, c, -1)
    data = jet.reshape(b, c, 4 * n).gather(-1, idx).reshape(b, c, 16, -1)
    out = []
    for ox, ov in derivs:
        hx0, hx1, px0, px1 = cubic_basis(tx, grid.dx, ox)
        hv0, hv1, pv0, pv1 = cubic_basis(tv, grid.dv, ov)
        # weights of (x-end, jet entry) and (v-end, jet entry), each [2, 4, B, P]
        wx = torch.stack([torch.stack([hx0, px0, hx0, px0]), torch.stack([hx1, px1, hx1, px1])])
        wv = torch.stack([torch.stack([hv0, hv0, pv0, pv0]), torch.stack([hv1, hv1, pv1, pv1])])
        w = (wx[:, None] * wv[None, :]).reshape(16, b, -1).transpose(0, 1)  # [B, 16, P]
        out.append(torch.einsum("bcjp,bjp->bcp", data, w))
    return torch.stack(out, dim=2)


def spectral_jet(f: Tensor, grid: Grid) -> Tensor:
    """The jet of periodic samples ``f [B, nx, nv]`` with derivatives from the FFT: ``[B, 1, 4, nx, nv]``."""
    kx = grid.kx(f.dtype, f.device)[:, None]
    kv = grid.kv(f.dtype, f.device)[None, :]
    fh = torch.fft.fft2(f)
    if grid.nx % 2 == 0:
        kx = kx.clone(); kx[grid.nx // 2] = 0  # noqa: E702  (Nyquist mode has no real derivative)
    if grid.nv % 2 == 0:
        kv = kv.clone(); kv[:, grid.nv // 2] = 0  # noqa: E702
    parts = [fh, 1j * kx * fh, 1j * kv * fh, -(kx * kv) * fh]
    return torch.stack([torch.fft.ifft2(p).real for p in parts], dim=1).unsqueeze(1)
