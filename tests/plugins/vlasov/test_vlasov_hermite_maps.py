"""Hermite-cubic jets and map composition of molgdl-vlasov against closed forms and autograd."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl_vlasov import maps
from molgdl_vlasov.grid import Box, Grid
from molgdl_vlasov.hermite import DERIVS, cubic_basis, interp_1d, interp_2d

GRID = Grid(Box(2.0, 1.5), 8, 10)


def _cubic(x, v):
    return (1 + 0.3 * x - 0.2 * v + 0.5 * x * x * v - 0.1 * x ** 3 + 0.7 * v ** 3 * x - 0.05 * v ** 2
            + 0.2 * x ** 3 * v ** 3)


def _derivatives(x, v):
    """All derivatives of ``_cubic`` in the order of DERIVS, plus the jet entries (f, f_x, f_v, f_xv)."""
    x = x.clone().requires_grad_(True)
    v = v.clone().requires_grad_(True)
    f = _cubic(x, v)
    fx, fv = torch.autograd.grad(f.sum(), (x, v), create_graph=True)
    fxx, fxv = torch.autograd.grad(fx.sum(), (x, v), create_graph=True)
    fvv = torch.autograd.grad(fv.sum(), v, create_graph=True)[0]
    return [t.detach() for t in (f, fx, fv, fxx, fxv, fvv)]


def test_hermite_2d_reproduces_bicubics_and_their_derivatives():
    torch.manual_seed(0)
    xg, vg = GRID.mesh()
    f, fx, fv, _, fxv, _ = _derivatives(xg, vg)
    jet = torch.stack([f, fx, fv, fxv])[None, None]
    # points away from the periodic seam (a polynomial is not periodic)
    x = torch.rand(1, 200, dtype=torch.float64) * (GRID.box.lx - GRID.dx)
    v = -GRID.box.v_max + torch.rand(1, 200, dtype=torch.float64) * (GRID.box.lv - GRID.dv)
    got = interp_2d(jet, GRID, x, v, DERIVS)[0, 0]
    want = _derivatives(x[0], v[0])
    for i, (ox, ov) in enumerate(DERIVS):
        torch.testing.assert_close(got[i], want[i], rtol=1e-11, atol=1e-10, msg=f"derivative {(ox, ov)}")


def test_hermite_1d_matches_the_basis_identities_and_is_exact_for_cubics():
    t = torch.linspace(0, 1, 7, dtype=torch.float64)
    h0, h1, p0, p1 = cubic_basis(t, 0.5, 0)
    torch.testing.assert_close(h0 + h1, torch.ones_like(t))  # partition of unity
    n, h = 12, 0.25
    nodes = torch.arange(n, dtype=torch.float64) * h
    c = lambda s: 2 - s + 0.5 * s ** 2 - 0.3 * s ** 3  # noqa: E731
    jet = torch.stack([c(nodes), -1 + nodes - 0.9 * nodes ** 2])
    q = torch.rand(1, 50, dtype=torch.float64) * (n - 1) * h
    out = interp_1d(jet, q, 0.0, h, (0, 1, 2))[0]
    torch.testing.assert_close(out[0], c(q[0]))
    torch.testing.assert_close(out[2], 1 - 1.8 * q[0])


def _smooth_map(scale: float, phase: float) -> torch.Tensor:
    """A periodic displacement jet with exact derivatives (trigonometric)."""
    k, kv = 2 * math.pi / GRID.box.lx, math.pi / GRID.box.v_max
    x, v = GRID.mesh()
    a, b = k * x + phase, kv * v
    dx = [torch.sin(a) * torch.cos(b), k * torch.cos(a) * torch.cos(b), -kv * torch.sin(a) * torch.sin(b),
          -k * kv * torch.cos(a) * torch.sin(b)]
    dv = [torch.cos(a + b), -k * torch.sin(a + b), -kv * torch.sin(a + b), -k * kv * torch.cos(a + b)]
    return scale * torch.stack([torch.stack(dx), torch.stack(dv)])[None]


def test_composition_is_exact_at_the_nodes_and_its_jet_is_the_chain_rule():
    outer, inner = _smooth_map(0.05, 0.3), _smooth_map(0.04, 1.1)
    composed = maps.compose(outer, inner, GRID)
    x, v = GRID.mesh()
    x = x.reshape(1, -1).clone().requires_grad_(True)
    v = v.reshape(1, -1).clone().requires_grad_(True)
    fx, fv = maps.apply([outer, inner], GRID, x, v)  # the composition evaluated point by point
    shape = (GRID.nx, GRID.nv)
    torch.testing.assert_close(composed[0, 0, 0], (fx - x).detach().reshape(shape), rtol=0, atol=1e-14)
    torch.testing.assert_close(composed[0, 1, 0], (fv - v).detach().reshape(shape), rtol=0, atol=1e-14)
    for comp, out in enumerate((fx, fv)):
        gx, gv = torch.autograd.grad(out.sum(), (x, v), create_graph=True)
        identity = (1.0, 0.0) if comp == 0 else (0.0, 1.0)
        for entry, (grad, one) in enumerate(((gx, identity[0]), (gv, identity[1])), start=1):
            torch.testing.assert_close(composed[0, comp, entry], (grad - one).detach().reshape(shape),
                                       atol=1e-12, rtol=0)
        gxv = torch.autograd.grad(gx.sum(), v, retain_graph=True)[0]
        torch.testing.assert_close(composed[0, comp, 3], gxv.reshape(shape), atol=1e-12, rtol=0)


def test_composing_with_the_identity_changes_nothing_and_log_det_sees_compression():
    m = _smooth_map(0.05, 0.3)
    ident = maps.identity(GRID, 1)
    torch.testing.assert_close(maps.compose(m, ident, GRID), m, rtol=0, atol=1e-15)
    torch.testing.assert_close(maps.compose(ident, m, GRID), m, rtol=0, atol=1e-15)
    assert float(maps.log_det_max(ident)) == 0.0
    squeeze = maps.identity(GRID, 1)
    squeeze[:, 0, 1] = -0.5  # X = x / 2: det = 1/2
    assert float(maps.log_det_max(squeeze)) == pytest.approx(math.log(2))
