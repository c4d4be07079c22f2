"""Held-out rollout errors of the ``dynamics`` task and the rollout plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch


def free_rollout(solver: Any, u0: torch.Tensor, dt: float, steps: int,
                 correction: Callable[[torch.Tensor], torch.Tensor] | None) -> torch.Tensor:
    """The model's own forecast (no gradient): ``[steps + 1, B, dim]``."""
    states = [u0]
    with torch.no_grad():
        for _ in range(steps):
            states.append(solver.step(states[-1], dt, correction))
    return torch.stack(states)


def rmse_by_step(pred: torch.Tensor, truth: torch.Tensor) -> np.ndarray:
    """RMSE over windows and components at every step: ``[steps + 1]`` (state units)."""
    return torch.sqrt(torch.mean((pred.double() - truth.double()) ** 2, dim=(1, 2))).numpy()


def plot_rollouts(path: Path, truth: np.ndarray, preds: dict[str, np.ndarray], errors: dict[str, np.ndarray],
                  dt: float) -> None:
    """Left: the first component of one held-out window for each model; right: RMSE vs lead time (log)."""
    from molgdl.run.plots import pyplot

    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    t = np.arange(truth.shape[0]) * dt
    ax1.plot(t, truth[:, 0], "k-", lw=2, label="truth")
    for name, pred in preds.items():
        ax1.plot(t, pred[:, 0], "--", label=name)
    ax1.set(xlabel="time", ylabel="u[0]", title="one held-out window")
    for name, err in errors.items():
        ax2.semilogy(t[1:], np.maximum(err[1:], 1e-12), label=name)
    ax2.set(xlabel="lead time", ylabel="RMSE", title="held-out rollout error")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
