"""Radial basis and cutoff envelope against their closed forms (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl_e3nn.radial import BesselBasis, PolynomialCutoff, RadialEmbedding, bessel_basis, polynomial_cutoff


def test_bessel_basis_closed_form():
    r_c = 5.0
    r = torch.tensor([0.3, 1.0, 2.5, 4.99], dtype=torch.float64)
    basis = BesselBasis(r_c, 8, trainable=False).double()(r)
    for n in range(1, 9):
        for k, rk in enumerate(r.tolist()):
            expected = 2.0 / r_c * math.sin(n * math.pi * rk / r_c) / rk
            assert basis[k, n - 1].item() == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_bessel_basis_vanishes_at_the_cutoff_and_frequencies_train():
    r_c = 4.0
    fixed = BesselBasis(r_c, 6, trainable=False).double()
    assert not list(fixed.parameters()) and "n" in dict(fixed.named_buffers())
    assert fixed(torch.tensor([r_c], dtype=torch.float64)).abs().max() < 1e-15  # sin(n pi) = 0
    trainable = BesselBasis(r_c, 6, trainable=True).double()
    assert [n for n, _ in trainable.named_parameters()] == ["n"]
    torch.testing.assert_close(trainable.freqs, torch.arange(1, 7, dtype=torch.float64) * math.pi, rtol=0, atol=0)
    trainable(torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    assert torch.isfinite(trainable.n.grad).all() and trainable.n.grad.abs().sum() > 0


def test_bessel_small_r_limit():
    """sin(w r / r_c) / r -> w / r_c as r -> 0 (finite, no 1/r blow-up)."""
    r_c, freqs = 5.0, torch.arange(1, 4, dtype=torch.float64) * math.pi
    small = bessel_basis(torch.tensor([1e-8], dtype=torch.float64), freqs, r_c)
    torch.testing.assert_close(small[0], 2.0 / r_c * freqs / r_c, rtol=1e-10, atol=0.0)


@pytest.mark.parametrize("p", [2, 3, 6, 9])
def test_polynomial_cutoff_values_and_derivatives(p):
    r_c = 5.0
    x = torch.linspace(0.0, 1.2, 121, dtype=torch.float64)
    u = polynomial_cutoff(x * r_c, r_c, p)
    a, b, c = (p + 1) * (p + 2) / 2, p * (p + 2), p * (p + 1) / 2
    expected = torch.where(x < 1, 1 - a * x**p + b * x ** (p + 1) - c * x ** (p + 2), torch.zeros_like(x))
    torch.testing.assert_close(u, expected, rtol=1e-12, atol=1e-13)
    assert u[0].item() == 1.0 and u[x >= 1].abs().max() == 0.0
    assert (u[(x > 0) & (x < 1)] > 0).all() and (u[:101].diff() <= 1e-15).all(), "decreasing from 1 to 0 on [0, r_c]"

    # derivatives by autograd: u, u', u'' vanish at r_c (approached from below), u''' does not;
    # u', ..., u^(p-1) vanish at r = 0.
    def derivs(r0: float, order: int) -> list[float]:
        r = torch.tensor(r0, dtype=torch.float64, requires_grad=True)
        out, vals = polynomial_cutoff(r, r_c, p), []
        for _ in range(order):
            (out,) = torch.autograd.grad(out, r, create_graph=True)
            vals.append(out.item())
        return vals

    at_rc = derivs(r_c * (1 - 1e-12), 3)
    assert max(abs(v) for v in at_rc[:2]) < 1e-9, at_rc
    third = -p * (p + 1) * (p + 2) / r_c**3  # closed form of u'''(r_c)
    assert at_rc[2] == pytest.approx(third, rel=1e-6)
    assert max(abs(v) for v in derivs(0.0, p - 1)) == 0.0


def test_radial_embedding_is_basis_times_envelope():
    emb = RadialEmbedding(5.0, 8, trainable=False, p=6).double()
    r = torch.tensor([0.5, 2.0, 4.9, 5.0, 6.0], dtype=torch.float64)
    expected = BesselBasis(5.0, 8, False).double()(r) * PolynomialCutoff(5.0, 6)(r).unsqueeze(-1)
    torch.testing.assert_close(emb(r), expected, rtol=0, atol=0)
    assert emb(r)[3:].abs().max() == 0.0
