r"""Radial basis and cutoff envelope of NequIP (Batzner et al. 2022; Klicpera et al. 2020, DimeNet).

.. math::
    e_n(r) = \frac{2}{r_c} \frac{\sin(\omega_n r / r_c)}{r}, \quad \omega_n = n\pi \ (n = 1..N), \qquad
    u(x) = 1 - \tfrac{(p+1)(p+2)}{2} x^p + p(p+2) x^{p+1} - \tfrac{p(p+1)}{2} x^{p+2}, \ x = r / r_c < 1

``u`` is 1 at ``r = 0`` (its first ``p - 1`` derivatives vanish there), and ``u``, ``u'`` and ``u''``
vanish at ``r = r_c``; ``u = 0`` beyond. Pure functions first, the modules wrap them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def bessel_basis(r: Tensor, freqs: Tensor, r_max: float) -> Tensor:
    r"""Bessel radial basis :math:`\frac{2}{r_c}\sin(\omega_n r / r_c) / r`.

    Args:
        r: distances (Å), ``r > 0``.
        freqs: the :math:`\omega_n` (dimensionless; :math:`n\pi` at initialisation).
        r_max: cutoff :math:`r_c` (Å).

    Shapes:
        - **input:** r :math:`(E)`, freqs :math:`(N_b)`
        - **output:** :math:`(E, N_b)`, units 1/Å
    """
    r = r.unsqueeze(-1)
    return (2.0 / r_max) * torch.sin(freqs * r / r_max) / r


def polynomial_cutoff(r: Tensor, r_max: float, p: int = 6) -> Tensor:
    r"""NequIP's polynomial envelope :math:`u(r / r_c)` (zero for ``r >= r_c``).

    Shapes:
        - **input:** r :math:`(E)` Å
        - **output:** :math:`(E)`, dimensionless
    """
    x = r / r_max
    out = 1.0
    out = out - (p + 1.0) * (p + 2.0) / 2.0 * x.pow(p)
    out = out + p * (p + 2.0) * x.pow(p + 1)
    out = out - p * (p + 1.0) / 2.0 * x.pow(p + 2)
    return out * (x < 1.0).to(out.dtype)


class BesselBasis(nn.Module):
    """:func:`bessel_basis` with frequencies ``n pi`` (``n = 1..num_basis``), trainable or fixed.

    The stored tensor is ``n`` (exact in any dtype, so ``.double()`` keeps ``pi`` to float64 precision);
    the frequencies are ``n * pi``.

    Shapes:
        - **input:** r :math:`(E)` Å
        - **output:** :math:`(E, \\text{num\\_basis})`
    """

    def __init__(self, r_max: float, num_basis: int = 8, trainable: bool = True) -> None:
        super().__init__()
        self.r_max = float(r_max)
        self.num_basis = num_basis
        n = torch.arange(1, num_basis + 1, dtype=torch.get_default_dtype())
        if trainable:
            self.n = nn.Parameter(n)
        else:
            self.register_buffer("n", n)

    @property
    def freqs(self) -> Tensor:
        return self.n * math.pi

    def forward(self, r: Tensor) -> Tensor:
        return bessel_basis(r, self.freqs, self.r_max)


class PolynomialCutoff(nn.Module):
    """:func:`polynomial_cutoff` as a module (no parameters).

    Shapes:
        - **input:** r :math:`(E)` Å
        - **output:** :math:`(E)`
    """

    def __init__(self, r_max: float, p: int = 6) -> None:
        super().__init__()
        self.r_max = float(r_max)
        self.p = int(p)

    def forward(self, r: Tensor) -> Tensor:
        return polynomial_cutoff(r, self.r_max, self.p)


class RadialEmbedding(nn.Module):
    """Edge-length features: Bessel basis times the cutoff envelope (NequIP's ``edge_embedding``).

    Shapes:
        - **input:** r :math:`(E)` Å
        - **output:** :math:`(E, \\text{num\\_basis})`, zero (with two zero derivatives) at ``r = r_max``
    """

    def __init__(self, r_max: float, num_basis: int = 8, trainable: bool = True, p: int = 6) -> None:
        super().__init__()
        self.basis = BesselBasis(r_max, num_basis, trainable)
        self.cutoff = PolynomialCutoff(r_max, p)
        self.out_dim = num_basis

    def forward(self, r: Tensor) -> Tensor:
        return self.basis(r) * self.cutoff(r).unsqueeze(-1)
