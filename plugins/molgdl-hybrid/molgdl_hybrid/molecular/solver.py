r"""Velocity-Verlet (and Langevin BAOAB) molecular dynamics on an RDKit force field: a physical core for the
hybrid gradient modes that autograd never sees through.

One step of size ``h`` (fs) of :math:`\dot x = v + c_x(u)`, :math:`\dot v = F(x)/m + c_v(u)` with the
correction tendency :math:`c(u) = [c_x, c_v]` (``correction(u)``, :math:`(B, 6N)`; the energy correction of
:mod:`.correction` returns :math:`c_x = 0` and :math:`c_v` = extra force / mass in Å/fs²):

- velocity Verlet (``thermostat='none'``): :math:`v' = v + \tfrac h2 a(u)`, :math:`x_1 = x + h (v' + c_x)`,
  :math:`v_1 = v' + \tfrac h2 a(x_1, v')` with :math:`a = F/m + c_v`;
- BAOAB (``'langevin'``, Leimkuhler & Matthews, AMRX 2013): the drift is split in two halves around the
  Ornstein-Uhlenbeck step :math:`v \leftarrow e^{-\gamma h} v + \sqrt{(1 - e^{-2\gamma h}) k_B T / m}\,\xi`.

Each batch row is stepped separately through RDKit (float64 numpy); the result has ``u``'s dtype and device.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from molgdl.errors import DataError

from .system import MolecularSystem
from .units import ACCEL, KB


class MDSolver:
    r"""Molecular dynamics step on an RDKit force field (``differentiable = False``).

    Args:
        system: the molecule; forcefield: ``uff`` or ``mmff94``; thermostat: ``none`` or ``langevin``;
        temperature: K; friction: 1/fs; noise_seed: seed of the Langevin noise.

    Shapes:
        - **u:** :math:`(B, 6N)`: positions Å then velocities Å/fs, each flattened atom-major
        - **correction(u):** :math:`(B, 6N)`: tendency (Å/fs, Å/fs²) added to :math:`(\dot x, \dot v)`
        - **output:** :math:`(B, 6N)`
    """

    differentiable = False

    def __init__(self, system: MolecularSystem, forcefield: str = "uff", thermostat: str = "none",
                 temperature: float = 300.0, friction: float = 0.01, noise_seed: int = 0) -> None:
        self.system = system
        self.forcefield = system.forcefield(forcefield)
        self.thermostat, self.temperature, self.friction = thermostat, float(temperature), float(friction)
        self.num_atoms = system.num_atoms
        self.dim = 6 * self.num_atoms
        self._inv_mass = (ACCEL / system.masses)[:, None]  # kcal/mol/Å -> Å/fs^2, [N, 1]
        self._rng = np.random.default_rng(noise_seed)
        self._cache = None  # (key, x, tendency) of the last position-only correction evaluated

    def accelerations(self, x: np.ndarray) -> np.ndarray:
        """Core accelerations F(x)/m, Å/fs², :math:`(N, 3)` from positions :math:`(N, 3)` Å."""
        return self.forcefield.forces(x) * self._inv_mass

    def _correction(self, correction, x: np.ndarray, v: np.ndarray, like: Tensor) -> tuple[np.ndarray, np.ndarray]:
        if correction is None:
            return 0.0, 0.0
        key = _cache_key(correction, like.dtype)
        if key is not None and self._cache is not None and self._cache[0] == key and np.array_equal(self._cache[1], x):
            return self._cache[2]
        u = torch.from_numpy(np.concatenate([x.reshape(x.shape[0], -1), v.reshape(v.shape[0], -1)], 1))
        c = correction(u.to(dtype=like.dtype, device=like.device))
        if tuple(c.shape) != tuple(u.shape):
            raise DataError(f"molecular solver: correction returned shape {tuple(c.shape)}, expected {tuple(u.shape)}",
                            hint="the correction must return a tendency [B, 6N] (zeros for positions, Å/fs² for velocities)")
        c = c.detach().to("cpu", torch.float64).numpy().reshape(x.shape[0], 2, -1, 3)
        if key is not None:
            self._cache = (key, x.copy(), (c[:, 0], c[:, 1]))
        return c[:, 0], c[:, 1]

    def _core(self, x: np.ndarray) -> np.ndarray:
        return np.stack([self.accelerations(row) for row in x])

    def step(self, u: Tensor, h: float, correction: Callable[[Tensor], Tensor] | None = None) -> Tensor:
        """One step of size ``h`` fs (see the module docstring)."""
        if u.dim() != 2 or u.shape[1] != self.dim:
            raise DataError(f"molecular solver: state of shape {tuple(u.shape)}, expected [B, {self.dim}] "
                            f"(6 x {self.num_atoms} atoms of {self.system.smiles})",
                            hint="a state row is [positions Å, velocities Å/fs], flattened atom-major")
        arr = u.detach().to("cpu", torch.float64).numpy().reshape(u.shape[0], 2, self.num_atoms, 3)
        x, v = arr[:, 0].copy(), arr[:, 1].copy()
        cx, cv = self._correction(correction, x, v, u)
        v = v + 0.5 * h * (self._core(x) + cv)
        if self.thermostat == "langevin" and self.friction > 0:
            x = x + 0.5 * h * (v + cx)
            c1 = math.exp(-self.friction * h)
            sigma = np.sqrt((1.0 - c1 * c1) * KB * self.temperature * self._inv_mass)  # Å/fs, [N, 1]
            v = c1 * v + sigma * self._rng.standard_normal(v.shape)
            x = x + 0.5 * h * (v + cx)
        else:
            x = x + h * (v + cx)
        _, cv = self._correction(correction, x, v, u)
        v = v + 0.5 * h * (self._core(x) + cv)
        out = np.concatenate([x.reshape(x.shape[0], -1), v.reshape(v.shape[0], -1)], 1)
        return torch.from_numpy(out).to(dtype=u.dtype, device=u.device)

    def rhs(self, u: Tensor) -> Tensor:
        """:math:`F(u) = [v, F_{core}(x)/m]` (Å/fs, Å/fs²), :math:`(B, 6N)`; the force part goes through
        :class:`CoreAcceleration`, whose backward is a finite-difference Hessian-vector product of the force field."""
        n3 = 3 * self.num_atoms
        return torch.cat([u[:, n3:], CoreAcceleration.apply(u[:, :n3], self)], dim=1)


def _cache_key(correction, dtype: torch.dtype) -> tuple | None:
    """A key under which a correction's value at given positions may be reused: only for a correction that
    declares ``positions_only = True`` (its tendency ignores velocities), keyed by the module and the identity
    and in-place version of every parameter, so that an optimiser step or a weight load invalidates it. The
    second force evaluation of a Verlet step is then the first of the next one (half the correction calls)."""
    if not getattr(correction, "positions_only", False):
        return None
    params = getattr(correction, "parameters", None)
    versions = tuple((id(p), p._version) for p in params()) if callable(params) else ()
    return (id(correction), versions, dtype)


class CoreAcceleration(torch.autograd.Function):
    r"""Core accelerations :math:`a(x) = F(x)/m` of a batch of flattened positions :math:`(B, 3N)` Å, with the
    vector-Jacobian product :math:`w^\top \partial a/\partial x` from central differences of the force field
    along :math:`w/m` (the Hessian is symmetric: :math:`\partial a_i/\partial x_j = -H_{ij}/m_i`), step 1e-4 Å."""

    @staticmethod
    def forward(ctx, x: Tensor, solver: MDSolver) -> Tensor:
        ctx.solver = solver
        ctx.save_for_backward(x)
        pos = x.detach().to("cpu", torch.float64).numpy().reshape(x.shape[0], -1, 3)
        return torch.from_numpy(solver._core(pos).reshape(x.shape[0], -1)).to(dtype=x.dtype, device=x.device)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (x,) = ctx.saved_tensors
        solver, eps = ctx.solver, 1e-4
        pos = x.detach().to("cpu", torch.float64).numpy().reshape(x.shape[0], -1, 3)
        w = grad.detach().to("cpu", torch.float64).numpy().reshape(pos.shape) * solver._inv_mass  # w_i / m_i
        scale = np.abs(w).max(axis=(1, 2), keepdims=True)
        scale[scale == 0] = 1.0
        d = w / scale
        ff = solver.forcefield
        plus = np.stack([ff.forces(p) for p in pos + eps * d])
        minus = np.stack([ff.forces(p) for p in pos - eps * d])
        vjp = (plus - minus) / (2 * eps) * scale  # (dF/dx) d with d = ACCEL w / m: equals w^T da/dx
        return torch.from_numpy(vjp.reshape(x.shape[0], -1)).to(dtype=x.dtype, device=x.device), None
