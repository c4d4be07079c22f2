"""Training loops of the ``dynamics`` task: online (rollout MSE through the solver, any gradient mode) and offline
(one-step residual regression, the usual way a closure is fitted without the solver in the loop).

A plain torch loop rather than Lightning: the model is a few hundred parameters, each batch is a Python loop of
solver calls (the solver is not a module), and the run-folder discipline (config, status, resume) already comes
from the core's task runner; Lightning's per-step overhead and checkpoint machinery would cost more than the step.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from molgdl.errors import TrainingError

from .gradients import rollout
from .task_params import TrainingParams


@dataclass
class History:
    """Mean training loss per epoch, written to ``path`` (JSON) after every epoch."""

    path: Path
    kind: str
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, loss: float, seconds: float) -> None:
        self.losses.append(loss)
        self.seconds += seconds
        self.write()

    def write(self) -> None:
        self.path.write_text(json.dumps({"kind": self.kind, "loss": self.losses, "seconds": self.seconds}, indent=1))


def _check_finite(loss: torch.Tensor, history: History, epoch: int, batch: int) -> None:
    if not math.isfinite(loss.item()):
        history.write()
        raise TrainingError(f"{history.kind} training: the loss is {loss.item()} at epoch {epoch}, batch {batch} "
                            f"(history so far in {history.path})",
                            hint="lower training.lr, shorten training.rollout or the time step, or use "
                                 "training.dtype: float64; files written so far are kept")


def _epochs(params: TrainingParams, n: int, history: History, generator: torch.Generator,
            batch_loss: Callable[[torch.Tensor], torch.Tensor], optimizer: torch.optim.Optimizer) -> History:
    for epoch in range(params.epochs):
        start, total = time.perf_counter(), 0.0
        order = torch.randperm(n, generator=generator)
        for b, idx in enumerate(order.split(params.batch_size)):
            optimizer.zero_grad()
            loss = batch_loss(idx)
            _check_finite(loss, history, epoch, b)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history.record(total / n, time.perf_counter() - start)
    return history


def train_online(correction: torch.nn.Module, solver: Any, windows: np.ndarray, dt: float,
                 params: TrainingParams, history: History, generator: torch.Generator) -> History:
    """Fit ``correction`` to the rollout MSE of ``windows`` ([N, n + 1, dim], state 0 is the initial condition)."""
    dtype = getattr(torch, params.dtype)
    data = torch.as_tensor(windows, dtype=dtype)
    n = data.shape[1] - 1
    optimizer = torch.optim.Adam(correction.parameters(), lr=params.lr)
    ens = {"ensemble_members": params.ensemble_members, "ensemble_sigma": params.ensemble_sigma,
           "generator": generator} if params.mode == "ensemble" else {}

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        target = data[idx].transpose(0, 1)                                        # [n + 1, B, dim]
        pred = rollout(solver, target[0], dt, n, correction, params.mode, **ens)
        return torch.mean((pred - target) ** 2)

    return _epochs(params, len(data), history, generator, batch_loss, optimizer)


def core_residuals(solver: Any, pairs: np.ndarray, dt: float, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``u_t`` and offline targets ``(u_{t+1} - Psi_core(u_t)) / dt`` from ``pairs`` [N, 2, dim]."""
    data = torch.as_tensor(pairs, dtype=dtype)
    with torch.no_grad():
        core = solver.step(data[:, 0], dt, None)
    return data[:, 0], (data[:, 1] - core) / dt


def train_offline(correction: torch.nn.Module, solver: Any, pairs: np.ndarray, dt: float, params: TrainingParams,
                  history: History, generator: torch.Generator) -> History:
    """Fit ``correction(u_t)`` to the core's one-step residual tendency (no solver call per batch); the task
    passes the first two states of the online windows: same initial states, batches and optimizer steps."""
    inputs, targets = core_residuals(solver, pairs, dt, getattr(torch, params.dtype))
    optimizer = torch.optim.Adam(correction.parameters(), lr=params.lr)

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        return torch.mean((correction(inputs[idx]) - targets[idx]) ** 2)

    return _epochs(params, len(inputs), history, generator, batch_loss, optimizer)
