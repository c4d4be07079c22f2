r"""Training of a molecular correction: (a) offline force matching on reference frames, (b) online through
rollouts of the hybrid solver with a gradient mode of :mod:`molgdl_hybrid.gradients` (static EGA...).

Offline loss: :math:`\langle |F_\theta(x) - (F_{truth}(x) - F_{core}(x))|^2 \rangle` over frames (kcal/mol/Å)².
Online loss: :math:`\frac1n\sum_{j=1}^n \langle |x_j - x^{ref}_j|^2 + \tau^2 |v_j - v^{ref}_j|^2 \rangle`
(Å², per coordinate) over windows of ``n`` steps started on reference states. With the static and
straight-through modes the surrogate Jacobian has no velocity-to-position block, so only the velocity term
carries gradient; ``tau`` (fs) converts velocity errors to lengths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .reference import Trajectories


@dataclass(frozen=True)
class TrainLog:
    """Loss per optimiser step and the wall time (s) of the training."""

    losses: list[float]
    seconds: float


def force_labels(traj: Trajectories, core: str, frames: Tensor) -> Tensor:
    """:math:`F_{truth} - F_{core}` (kcal/mol/Å) at positions ``frames`` :math:`(M, N, 3)` -> :math:`(M, N, 3)`."""
    truth, base = traj.system.forcefield(traj.truth), traj.system.forcefield(core)
    x = frames.detach().cpu().numpy()
    return torch.from_numpy(np.stack([truth.forces(p) - base.forces(p) for p in x]))


def frames_of(traj: Trajectories, stride: int) -> Tensor:
    """Positions of every ``stride``-th step of every trajectory, :math:`(M, N, 3)` Å."""
    pos = traj.positions()[::stride]
    return pos.reshape(-1, *pos.shape[2:])


def train_offline(correction, traj: Trajectories, core: str, *, steps: int, batch_size: int = 16,
                  lr: float = 3e-3, stride: int = 10, seed: int = 0) -> TrainLog:
    """Force matching of ``correction`` (an :class:`~.correction.EnergyCorrection`) to the truth-minus-core
    forces on every ``stride``-th reference frame; Adam, ``steps`` minibatches of ``batch_size`` frames."""
    frames = frames_of(traj, stride)
    labels = force_labels(traj, core, frames).to(correction.dtype)
    frames = frames.to(correction.dtype)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(correction.parameters(), lr=lr)
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, frames.shape[0], (batch_size,), generator=gen)
        loss = (correction.forces(frames[idx], create_graph=True) - labels[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return TrainLog(losses, time.perf_counter() - start)


def window_loss(pred: Tensor, target: Tensor, tau: float) -> Tensor:
    """Rollout MSE of positions plus ``tau``² x velocity MSE, steps 1..n. Shapes: :math:`(n + 1, B, 6N)`."""
    half = pred.shape[-1] // 2
    err = (pred[1:] - target[1:]).pow(2)
    return err[..., :half].mean() + tau * tau * err[..., half:].mean()


def train_online(correction, solver, traj: Trajectories, *, steps: int, window: int = 10, mode: str = "static",
                 batch_size: int = 8, lr: float = 3e-3, tau: float = 10.0, seed: int = 0) -> TrainLog:
    """Online training through ``window``-step rollouts of ``solver`` (the core, e.g. UFF) with the gradient
    ``mode`` of :func:`molgdl_hybrid.gradients.rollout`, on windows drawn uniformly from ``traj``."""
    from molgdl_hybrid.gradients import rollout

    states = traj.states
    t_max, rows = states.shape[0] - window, states.shape[1]
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(correction.parameters(), lr=lr)
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        t0 = torch.randint(0, t_max, (batch_size,), generator=gen)
        row = torch.randint(0, rows, (batch_size,), generator=gen)
        target = torch.stack([states[t0 + j, row] for j in range(window + 1)])  # [n + 1, B, 6N]
        pred = rollout(solver, target[0], traj.dt, window, correction, mode)
        loss = window_loss(pred, target, tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return TrainLog(losses, time.perf_counter() - start)
