"""The registered Vlasov solvers (``molgdl.specs.SolverSpec`` protocol) and their native simulation API.

Protocol state: ``u [B, nx * nv]`` is f sampled on the solver's state grid (x-major, ``grid.mesh()`` order):
the ``n_sampling^2`` grid for CMM, the ``n_x x n_v`` grid for the spectral solver. ``step(u, h, correction)``
advances each row by ``h`` and adds ``h * correction(u)`` (explicit Euler on the correction).

CMM is a map method, not a grid method: its state is the stack of submaps. ``step`` therefore continues its
own simulation when called with the tensor it returned last (uncorrected), and otherwise restarts from ``u``
as initial data (f0 = the Hermite interpolant of the samples, derivatives by FFT). The native API
(``simulate(f0)``) starts from an analytic f0 and is what the task and the benchmarks use.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .cmm import CMM, CMMConfig
from .grid import Box, Grid
from .hermite import interp_2d, spectral_jet
from .semi_lagrangian import SpectralSL

Correction = Callable[[Tensor], Tensor]


class SampledDensity:
    """f0 from samples ``f [B, nx, nv]`` on ``grid``: periodic Hermite-cubic interpolant, FFT derivatives."""

    def __init__(self, f: Tensor, grid: Grid) -> None:
        self.jet, self.grid = spectral_jet(f, grid), grid

    def __call__(self, x: Tensor, v: Tensor) -> Tensor:
        return interp_2d(self.jet, self.grid, x, v)[:, 0, 0]


class SLSimulation:
    """Native run of the spectral solver: ``advance(dt)``, ``f [B, nx, nv]``, ``e_jet [B, 2, nx]``, ``t``."""

    n_maps = 0

    def __init__(self, sl: SpectralSL, f: Tensor) -> None:
        self.sl, self.f, self.t, self.steps = sl, f, 0.0, 0
        self.sample_grid = sl.grid
        self.e_jet = sl.field(f)

    def advance(self, dt: float) -> None:
        self.f = self.sl.step(self.f, dt)
        self.e_jet = self.sl.field(self.f)
        self.t += dt
        self.steps += 1

    def sample(self, grid: Grid | None = None) -> Tensor:
        """f on ``grid`` by trigonometric interpolation (the solver's own representation)."""
        if grid is None or (grid.nx, grid.nv) == (self.sl.grid.nx, self.sl.grid.nv):
            return self.f
        return SampledDensity(self.f, self.sl.grid)(*(a.reshape(1, -1).expand(self.f.shape[0], -1)
                                                      for a in grid.mesh(self.f.dtype, self.f.device))
                                                    ).reshape(-1, grid.nx, grid.nv)

    def suggested_dt(self, cfl: float = 1.0) -> float:
        """``0.5 max(L) / max(nx, nv) / cfl / max(|u|, 1)``: the rule of CMM with the solver's grid."""
        g = self.sl.grid
        speed = max(g.box.v_max, float(self.e_jet[:, 0].abs().max()), 1.0)
        return 0.5 * max(g.box.lx, g.box.lv) / max(g.nx, g.nv) / cfl / speed


class VlasovSolver:
    """Common protocol part: ``dim``, ``grid`` (the state grid), ``initial_state(f0)``, ``step``."""

    differentiable = False
    grid: Grid

    @property
    def dim(self) -> int:
        return self.grid.nx * self.grid.nv

    def initial_state(self, f0: Callable[[Tensor, Tensor], Tensor], dtype=torch.float64,
                      device=None) -> Tensor:
        """``f0`` sampled on the state grid, ``[1, dim]``."""
        x, v = self.grid.mesh(dtype, device)
        return f0(x, v).reshape(1, -1)

    def _as_grid(self, u: Tensor) -> Tensor:
        if u.dim() != 2 or u.shape[1] != self.dim:
            raise ValueError(f"state must be [B, {self.dim}] (f on the {self.grid.nx} x {self.grid.nv} grid, "
                             f"flattened), got {tuple(u.shape)}")
        return u.reshape(u.shape[0], self.grid.nx, self.grid.nv)


class CMMSolver(VlasovSolver):
    """``cmm_vlasov_poisson``: black box (``differentiable = False``)."""

    def __init__(self, box: Box, config: CMMConfig, self_consistent: bool = True) -> None:
        self.box, self.config = box, config
        self.grid = Grid(box, config.n_sampling, config.n_sampling)
        self._sim: CMM | None = None
        self._last: Tensor | None = None

    def simulate(self, f0, batch: int = 1, dtype=torch.float64, device=None) -> CMM:
        return CMM(self.box, self.config, f0, batch, dtype, device)

    def step(self, u: Tensor, h: float, correction: Correction | None = None) -> Tensor:
        with torch.no_grad():
            continuing = (self._sim is not None and self._last is not None and self._last.shape == u.shape
                          and self._last.dtype == u.dtype and torch.equal(self._last, u))
            if not continuing:
                f = self._as_grid(u.detach())
                self._sim = self.simulate(SampledDensity(f, self.grid), u.shape[0], u.dtype, u.device)
            self._sim.advance(h)
            out = self._sim.f.reshape(u.shape[0], -1).clone()
        if correction is None:
            self._last = out
            return out
        self._last = None
        return out + h * correction(u)


class SpectralSLSolver(VlasovSolver):
    """``vlasov_spectral_sl``: differentiable torch, with ``rhs``."""

    differentiable = True

    def __init__(self, grid: Grid, self_consistent: bool = True, filter_order: int | None = None,
                 filter_cutoff: float | None = None) -> None:
        self.grid = grid
        self.sl = SpectralSL(grid, self_consistent, filter_order, filter_cutoff)

    def simulate(self, f0, batch: int = 1, dtype=torch.float64, device=None) -> SLSimulation:
        x, v = self.grid.mesh(dtype, device)
        return SLSimulation(self.sl, f0(x, v).expand(batch, -1, -1).clone())

    def step(self, u: Tensor, h: float, correction: Correction | None = None) -> Tensor:
        out = self.sl.step(self._as_grid(u), h).reshape(u.shape[0], -1)
        return out if correction is None else out + h * correction(u)

    def rhs(self, u: Tensor) -> Tensor:
        return self.sl.rhs(self._as_grid(u)).reshape(u.shape[0], -1)


def build_cmm(params) -> CMMSolver:
    config = CMMConfig(n_map=params.n_map, n_sampling=params.n_sampling, det_tol=params.det_tol,
                       filter_order=params.filter_order, filter_cutoff=params.filter_cutoff,
                       transition_width=params.transition_width, self_consistent=params.self_consistent)
    return CMMSolver(Box.from_wavenumber(params.k, params.v_max), config)


def build_spectral_sl(params) -> SpectralSLSolver:
    grid = Grid(Box.from_wavenumber(params.k, params.v_max), params.n_x, params.n_v)
    return SpectralSLSolver(grid, params.self_consistent, params.filter_order, params.filter_cutoff)
