r"""Evaluation of a molecular hybrid (core + correction) against reference trajectories of the truth.

- rollout RMSD after ``k`` steps: Kabsch-aligned (optimal rotation and translation, Kabsch 1976) RMSD in Å
  between the hybrid's free rollout and the reference, both started from the same reference state;
- force error after ``k`` steps: RMS over atoms and components of :math:`F_{core} + F_\theta - F_{truth}`
  (kcal/mol/Å) at the hybrid's own positions after ``k`` steps;
- energy drift: :math:`|E_{truth}(x_k) + K(v_k) - E_{truth}(x_0) - K(v_0)|` (kcal/mol) along the free NVE
  rollout, i.e. the total energy of the truth potential, which the hybrid conserves only if it is the truth;
- bond-length (Å) and bond-angle (degrees) distributions of the rollout against the reference over the same
  steps: the 1-Wasserstein distance per bond / angle (``scipy.stats.wasserstein_distance``), averaged.

A rollout that leaves finite numbers is counted as diverged at its first non-finite step.
"""

from __future__ import annotations

import numpy as np
import torch

from .reference import Trajectories, run
from .solver import MDSolver
from .units import kinetic_energy


def kabsch_rmsd(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """RMSD (Å) after the optimal superposition of ``p`` onto ``q``. Shapes: :math:`(..., N, 3)` -> :math:`(...)`."""
    p = p - p.mean(-2, keepdims=True)
    q = q - q.mean(-2, keepdims=True)
    u, s, vt = np.linalg.svd(np.swapaxes(p, -1, -2) @ q)
    sign = np.sign(np.linalg.det(u @ vt))
    s[..., -1] *= sign  # proper rotations only
    msd = ((p * p).sum((-1, -2)) + (q * q).sum((-1, -2)) - 2 * s.sum(-1)) / p.shape[-2]
    return np.sqrt(np.maximum(msd, 0.0))


def bonds_and_angles(mol) -> tuple[np.ndarray, np.ndarray]:
    """Atom index pairs of the bonds :math:`(n_b, 2)` and triples (i, j, k) with centre j of the angles :math:`(n_a, 3)`."""
    bonds = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()], dtype=np.int64)
    angles = [(i.GetIdx(), a.GetIdx(), k.GetIdx()) for a in mol.GetAtoms()
              for n, i in enumerate(a.GetNeighbors()) for k in list(a.GetNeighbors())[n + 1:]]
    return bonds, np.array(angles, dtype=np.int64).reshape(-1, 3)


def geometry(x: np.ndarray, bonds: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bond lengths (Å) :math:`(..., n_b)` and angles (degrees) :math:`(..., n_a)` of positions :math:`(..., N, 3)`."""
    lengths = np.linalg.norm(x[..., bonds[:, 0], :] - x[..., bonds[:, 1], :], axis=-1)
    a = x[..., angles[:, 0], :] - x[..., angles[:, 1], :]
    b = x[..., angles[:, 2], :] - x[..., angles[:, 1], :]
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return lengths, np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over the last axis of the 1-Wasserstein distance between samples ``a`` and ``b`` :math:`(S, K)`."""
    from scipy.stats import wasserstein_distance

    return float(np.mean([wasserstein_distance(a[:, k], b[:, k]) for k in range(a.shape[1])]))


def _hybrid_forces(solver: MDSolver, correction, x: np.ndarray) -> np.ndarray:
    core = np.stack([solver.forcefield.forces(p) for p in x])
    if correction is None:
        return core
    extra = correction.forces(torch.as_tensor(x, dtype=correction.dtype), create_graph=False)
    return core + extra.detach().double().numpy()


def evaluate(solver: MDSolver, correction, test: Trajectories, horizons: tuple[int, ...] = (10, 100, 1000),
             start: int = 0) -> dict:
    """Metrics of the free rollout of ``solver`` + ``correction`` (``None``: the core alone) from the states at
    step ``start`` of every test trajectory, over ``max(horizons)`` steps (see the module docstring)."""
    steps = max(horizons)
    if test.states.shape[0] <= start + steps:
        raise ValueError(f"test trajectories have {test.states.shape[0]} states, need {start + steps + 1}")
    system, n3 = test.system, 3 * test.system.num_atoms
    with torch.no_grad():
        pred = run(solver, test.states[start], test.dt, steps, correction).numpy()  # [steps + 1, B, 6N]
    ref = test.states[start: start + steps + 1].numpy()
    shape = (*pred.shape[:2], -1, 3)
    xp, vp = pred[..., :n3].reshape(shape), pred[..., n3:].reshape(shape)
    xr = ref[..., :n3].reshape(shape)
    finite = np.isfinite(pred).all(-1)  # [steps + 1, B]
    diverged = [int(np.argmin(finite[:, b])) if not finite[:, b].all() else None for b in range(pred.shape[1])]
    truth = system.forcefield(test.truth)
    out: dict = {"rows": int(pred.shape[1]), "diverged_at": diverged, "rmsd": {}, "force_rmse": {}}
    for k in horizons:
        ok = finite[k]
        out["rmsd"][str(k)] = float(kabsch_rmsd(xp[k, ok], xr[k, ok]).mean()) if ok.any() else None
        if ok.any():
            f_truth = np.stack([truth.forces(p) for p in xp[k, ok]])
            err = _hybrid_forces(solver, correction, xp[k, ok]) - f_truth
            out["force_rmse"][str(k)] = float(np.sqrt((err ** 2).mean()))
        else:
            out["force_rmse"][str(k)] = None
    if finite.all():
        energy = np.array([[truth.energy(p) for p in frame] for frame in xp]) + kinetic_energy(system.masses, vp)
        out["energy_drift"] = float(np.abs(energy[-1] - energy[0]).mean())
        out["energy_fluctuation"] = float(energy.std(0).mean())
        bonds, angles = bonds_and_angles(system.mol)
        lp, ap = geometry(xp.reshape(-1, *xp.shape[2:]), bonds, angles)
        lr, ar = geometry(xr.reshape(-1, *xr.shape[2:]), bonds, angles)
        out["bond_w1"], out["angle_w1"] = wasserstein(lp, lr), wasserstein(ap, ar)
    else:
        out["energy_drift"] = out["energy_fluctuation"] = out["bond_w1"] = out["angle_w1"] = None
    return out
