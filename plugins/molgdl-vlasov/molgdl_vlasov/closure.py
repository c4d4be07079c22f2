"""A small learned closure for a coarse Vlasov solver: a per-Fourier-mode damping whose rate is an MLP of
the mode's wavenumbers (a learned hypercollision / filamentation filter), and the field-energy history used
to train and judge it.

``correction(f) = -IFFT[ sigma_theta(|k_x| / k_x,max, |k_v| / k_v,max) * FFT f ]`` with ``sigma >= 0``
(softplus), zero on the ``k_v = 0`` modes so that the density (hence mass and the field's source) is left
to the solver. The hybrid model is ``df/dt = F(f) + correction(f)``; training goes through
``molgdl-hybrid``'s ``rollout`` (EGA gradients through the black-box step).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .field import density, electric_field
from .grid import Grid


class ModeDamping(nn.Module):
    """Shapes: ``forward(u [B, nx * nv]) -> [B, nx * nv]`` (f on ``grid``, flattened x-major)."""

    def __init__(self, grid: Grid, hidden: int = 16, initial_rate: float = 1e-3) -> None:
        super().__init__()
        self.grid = grid
        kx = grid.kx().abs() / grid.kx().abs().max()
        kv = grid.kv().abs() / grid.kv().abs().max()
        feats = torch.stack(torch.meshgrid(kx, kv, indexing="ij"), dim=-1)  # [nx, nv, 2]
        self.register_buffer("features", feats)
        self.register_buffer("mask", (grid.kv() != 0).to(torch.float64)[None, :].expand(grid.nx, -1).clone())
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        with torch.no_grad():
            self.net[-1].weight.mul_(0.1)
            self.net[-1].bias.fill_(float(torch.log(torch.expm1(torch.tensor(initial_rate)))))
        self.double()

    def rates(self) -> Tensor:
        """Damping rate of every (x-mode, v-mode), ``[nx, nv]`` (1 / time unit)."""
        return nn.functional.softplus(self.net(self.features)[..., 0]) * self.mask

    def forward(self, u: Tensor) -> Tensor:
        f = u.reshape(u.shape[0], self.grid.nx, self.grid.nv)
        out = torch.fft.ifft2(-self.rates() * torch.fft.fft2(f)).real
        return out.reshape(u.shape[0], -1)


def field_energy(states: Tensor, grid: Grid) -> Tensor:
    """``W = 1/2 int E^2 dx`` of every state: ``[..., nx * nv] -> [...]`` (differentiable)."""
    lead = states.shape[:-1]
    f = states.reshape(-1, grid.nx, grid.nv)
    e = electric_field(density(f, grid), grid)[:, 0]
    return (0.5 * (e * e).sum(-1) * grid.dx).reshape(lead)


def log_energy_error(pred: Tensor, ref: Tensor) -> Tensor:
    """Root-mean-square difference of ``log10`` field energies over time: ``[T, ...] x [T, ...] -> [...]``."""
    return ((torch.log10(pred) - torch.log10(ref)) ** 2).mean(0).sqrt()
