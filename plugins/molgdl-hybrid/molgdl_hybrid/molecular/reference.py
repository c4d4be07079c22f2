"""Reference trajectories of the molecular case: MMFF94 dynamics as the truth for a UFF core.

Why MMFF94 as truth: both force fields run in RDKit (cheap, deterministic, no data to ship), MMFF94 is the
more accurate of the two on organic conformations (Halgren 1996; it is fitted to ab initio data of such
molecules, UFF covers the whole periodic table with generic rules), and their difference is a smooth,
conservative, position-only force field, which an energy-based correction can represent exactly.

Protocol (deterministic for a seed): ETKDG embedding (``randomSeed=seed``), MMFF94 minimisation,
Maxwell-Boltzmann velocities (numpy seed), Langevin BAOAB equilibration under the truth, then NVE velocity
Verlet under the truth, every step recorded. Rows of the batch are independent trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .solver import MDSolver
from .system import MolecularSystem
from .units import ACCEL, KB


def maxwell_boltzmann(masses: np.ndarray, temperature: float, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Velocities (Å/fs) at ``temperature`` K with zero total momentum, :math:`(B, N, 3)`."""
    sigma = np.sqrt(KB * temperature * ACCEL / masses)[:, None]
    v = sigma * rng.standard_normal((batch, masses.shape[0], 3))
    return v - (masses[:, None] * v).sum(1, keepdims=True) / masses.sum()


@dataclass(frozen=True)
class Trajectories:
    """States of ``B`` trajectories, time step ``dt`` fs: ``states`` :math:`(T + 1, B, 6N)` float64."""

    system: MolecularSystem
    states: Tensor
    dt: float
    truth: str

    def positions(self) -> Tensor:
        """:math:`(T + 1, B, N, 3)` Å."""
        t, b, _ = self.states.shape
        return self.states[..., : self.states.shape[-1] // 2].reshape(t, b, -1, 3)


def run(solver: MDSolver, u: Tensor, dt: float, steps: int, correction=None) -> Tensor:
    """``steps`` solver steps from ``u`` :math:`(B, 6N)`, no gradient: :math:`(steps + 1, B, 6N)`."""
    out = [u]
    with torch.no_grad():
        for _ in range(steps):
            out.append(solver.step(out[-1], dt, correction))
    return torch.stack(out)


def reference_trajectories(smiles: str, num_trajectories: int, num_steps: int, *, dt: float = 0.5,
                           temperature: float = 300.0, seed: int = 0, equilibration_steps: int = 2000,
                           friction: float = 0.01, truth: str = "mmff94") -> Trajectories:
    """``num_trajectories`` NVE trajectories of ``num_steps`` steps of ``dt`` fs under the ``truth`` force
    field after ``equilibration_steps`` Langevin steps at ``temperature`` K (see the module docstring)."""
    system = MolecularSystem.from_smiles(smiles)
    x0 = system.forcefield(truth).minimize(system.embed(seed))
    rng = np.random.default_rng(seed)
    v0 = maxwell_boltzmann(system.masses, temperature, num_trajectories, rng)
    u = torch.from_numpy(np.concatenate([np.broadcast_to(x0, v0.shape).reshape(num_trajectories, -1),
                                         v0.reshape(num_trajectories, -1)], 1))
    thermostat = MDSolver(system, truth, "langevin", temperature, friction, noise_seed=seed)
    u = run(thermostat, u, dt, equilibration_steps)[-1]
    states = run(MDSolver(system, truth), u, dt, num_steps)
    return Trajectories(system, states, dt, truth)
