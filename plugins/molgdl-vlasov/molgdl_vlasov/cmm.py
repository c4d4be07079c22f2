"""The characteristic mapping method for 1+1-D Vlasov-Poisson (Krah, Yin, Bergmann, Nave, Schneider,
arXiv:2311.09379; MATLAB reference ``vlasov_CMM.m``), vectorised in torch over a batch of initial data.

``f(x, v, t) = f0(X_1 o ... o X_m o X_cur(x, v))``: the backward characteristic map is a composition of
submaps, each a Hermite-cubic displacement jet on the coarse ``n_map x n_map`` grid (``maps.py``). One step
``t_n -> t_n+1``: the field ``E`` at ``t_n`` comes from ``f`` pulled back onto the ``n_sampling^2`` grid
(``field.py``); the velocity at the RK4 stage times is extrapolated by the quadratic Lagrange polynomial
through ``t_n, t_n-1, t_n-2`` (``defExt_L3``); RK4 on jets gives the one-step backward map, which is composed
onto the current submap (``HMapCompose``). When ``max |log det grad X_cur| > det_tol`` the current submap is
archived and restarted from the identity (remapping). The first two steps use a predictor-corrector with
the levels available (``initEulerB0_L3``). A batch remaps together when any member crosses ``det_tol``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from . import maps
from .field import density, electric_field, gaussian_filter, periodic_velocity
from .grid import Box, Grid
from .hermite import interp_1d

InitialDensity = Callable[[Tensor, Tensor], Tensor]  # (x [B, P], v [B, P]) -> f [B, P]


@dataclass(frozen=True)
class CMMConfig:
    """``n_map``: map grid size per direction; ``n_sampling``: grid on which f is sampled for the field
    and the diagnostics; ``det_tol``: remapping threshold on ``max |log det grad X|``; ``filter_order`` (p)
    and
    ``filter_cutoff`` (R, default ``n_map / 2``, in x-mode numbers) of the Gaussian filter, ``None`` order
    for no filter; ``transition_width``: half-width of the periodic-velocity bump as a fraction of ``v_max``;
    ``self_consistent``: solve Poisson (False: free streaming, E = 0)."""

    n_map: int = 32
    n_sampling: int = 256
    det_tol: float = 1e-2
    filter_order: int | None = 8
    filter_cutoff: float | None = None
    transition_width: float = 0.1
    self_consistent: bool = True


def lagrange_weights(s: float, times: list[float]) -> list[float]:
    """Weights of the Lagrange polynomial through ``times`` evaluated at ``s``."""
    out = []
    for i, ti in enumerate(times):
        w = 1.0
        for j, tj in enumerate(times):
            if j != i:
                w *= (s - tj) / (ti - tj)
        out.append(w)
    return out


class CMM:
    """State of a CMM simulation: archived submaps, the current submap, the field history and the time.

    ``f0``: the initial density, a function of ``(x [B, P], v [B, P])``; ``batch``: the number of independent
    simulations B advanced together. After construction and after every ``advance``: ``self.f [B, ns, ns]``
    (f on the sampling grid at ``self.t``) and ``self.e_jet [B, 2, ns]`` (E and dE/dx on its x nodes)."""

    def __init__(self, box: Box, config: CMMConfig, f0: InitialDensity, batch: int = 1,
                 dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> None:
        self.box, self.config, self.f0, self.batch = box, config, f0, batch
        self.dtype, self.device = dtype, torch.device(device) if device is not None else torch.device("cpu")
        self.map_grid = Grid(box, config.n_map, config.n_map)
        self.sample_grid = Grid(box, config.n_sampling, config.n_sampling)
        g_jet = periodic_velocity(self.sample_grid, config.transition_width * box.v_max)
        self.g_jet = g_jet.to(dtype=dtype, device=self.device)
        self.filter = None
        if config.filter_order is not None:
            cutoff = config.filter_cutoff if config.filter_cutoff is not None else config.n_map / 2
            self.filter = gaussian_filter(config.n_sampling, cutoff, config.filter_order, dtype, self.device)
        self.archive: list[Tensor] = []
        self.current = maps.identity(self.map_grid, batch, dtype, self.device)
        self.remap_times: list[float] = []
        self.t = 0.0
        self.steps = 0
        self.f, self.e_jet = self._field([self.current])
        self.history: list[tuple[float, Tensor]] = [(0.0, self.e_jet)]

    # -- evaluation -------------------------------------------------------------------------------------
    def sample(self, grid: Grid | None = None, submaps: list[Tensor] | None = None) -> Tensor:
        """f at the current time on ``grid`` (default: the sampling grid), ``[B, nx, nv]``."""
        grid = grid or self.sample_grid
        submaps = submaps if submaps is not None else [*self.archive, self.current]
        xg, vg = grid.mesh(self.dtype, self.device)
        x = xg.reshape(1, -1).expand(self.batch, -1)
        v = vg.reshape(1, -1).expand(self.batch, -1)
        xf, vf = maps.apply(submaps, self.map_grid, x, v)
        return self.f0(xf, self.sample_grid.wrap_v(vf)).reshape(self.batch, grid.nx, grid.nv)

    def _field(self, current: list[Tensor]) -> tuple[Tensor, Tensor]:
        f = self.sample(submaps=[*self.archive, *current])
        if not self.config.self_consistent:
            return f, torch.zeros(self.batch, 2, self.sample_grid.nx, dtype=self.dtype, device=self.device)
        return f, electric_field(density(f, self.sample_grid), self.sample_grid, self.filter)

    def max_speed(self) -> float:
        """``max |u|`` over the sampling nodes at the current time."""
        g = self.g_jet[0].abs().max()
        return float(torch.sqrt(g * g + self.e_jet[:, 0].abs().max() ** 2))

    def suggested_dt(self, cfl: float = 1.0) -> float:
        """The reference step ``0.5 max(L) / n_map / cfl / max(|u|, |f|, 1)`` (``compute_time_step.m``)."""
        dt0 = 0.5 * max(self.box.lx, self.box.lv) / self.config.n_map / cfl
        return dt0 / max(self.max_speed(), float(self.f.abs().max()), 1.0)

    # -- time stepping ----------------------------------------------------------------------------------
    def _velocity(self, e_levels: list[tuple[float, Tensor]], s: float, inner: Tensor) -> Tensor:
        """Jet of ``u(., s) o (id + inner)`` on the map grid, ``[B, 2, 4, n, n]``; ``E(s)`` by Lagrange
        interpolation/extrapolation through ``e_levels``."""
        w = lagrange_weights(s, [t for t, _ in e_levels])
        e = sum(wi * ej for wi, (_, ej) in zip(w, e_levels))
        x, v = maps.displaced_nodes(inner, self.map_grid)
        sg = self.sample_grid
        g = interp_1d(self.g_jet, v, -self.box.v_max, sg.dv, (0, 1, 2))  # [B, 3, P]
        ee = interp_1d(e, x, 0.0, sg.dx, (0, 1, 2))
        zero = torch.zeros_like(g[:, 0])
        outer = torch.stack([torch.stack([g[:, 0], zero, g[:, 1], zero, zero, g[:, 2]], 1),
                             torch.stack([ee[:, 0], ee[:, 1], zero, ee[:, 2], zero, zero], 1)], 1)
        n = self.map_grid.nx
        return maps.chain_rule(outer.reshape(self.batch, 2, 6, n, n), inner)

    def _rk4_backward(self, e_levels: list[tuple[float, Tensor]], t1: float, dt: float) -> Tensor:
        """Displacement jet of the backward map ``X_[t1 - dt <- t1]`` by RK4 on jets (``RK4_jetstages.m``)."""
        m0 = maps.identity(self.map_grid, self.batch, self.dtype, self.device)
        u0 = self._velocity(e_levels, t1, m0)
        u1 = self._velocity(e_levels, t1 - 0.5 * dt, -0.5 * dt * u0)
        u2 = self._velocity(e_levels, t1 - 0.5 * dt, -0.5 * dt * u1)
        u3 = self._velocity(e_levels, t1 - dt, -dt * u2)
        return -dt * (u0 + 2 * u1 + 2 * u2 + u3) / 6

    def advance(self, dt: float) -> None:
        """One step of size ``dt > 0``: updates the maps, ``t``, ``f`` and ``e_jet``."""
        t1 = self.t + dt
        levels = self.history[-3:]
        if len(levels) < 3:  # start-up: predictor with the levels so far, corrector through the predicted one
            step = self._rk4_backward(levels, t1, dt)
            _, e_pred = self._field([maps.compose(self.current, step, self.map_grid)])
            levels = [*levels, (t1, e_pred)]
        step = self._rk4_backward(levels, t1, dt)
        self.current = maps.compose(self.current, step, self.map_grid)
        if float(maps.log_det_max(self.current).max()) > self.config.det_tol:
            self.archive.append(self.current)
            self.remap_times.append(t1)
            self.current = maps.identity(self.map_grid, self.batch, self.dtype, self.device)
        self.t = t1
        self.steps += 1
        self.f, self.e_jet = self._field([self.current])
        self.history = [*self.history[-2:], (t1, self.e_jet)]

    @property
    def n_maps(self) -> int:
        """Number of archived submaps (remappings so far)."""
        return len(self.archive)
