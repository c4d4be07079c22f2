"""The models an estimator keeps for one replicate, and their per-graph predictive moments.

Files: ensemble members ``<replicate>/members/member_<k>/model.pt``; Langevin snapshots
``<replicate>/snapshots/epoch_<e>.pt``; otherwise the replicate's ``model.pt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .losses import head_moments
from .plan import EstimatorPlan

MEMBERS_DIR = "members"


def model_files(replicate_dir: Path) -> list[Path]:
    replicate_dir = Path(replicate_dir)
    members = sorted(replicate_dir.glob(f"{MEMBERS_DIR}/member_*/model.pt"))
    if members:
        return members
    snapshots = sorted(replicate_dir.glob("snapshots/epoch_*.pt"))
    return snapshots or [replicate_dir / "model.pt"]


@torch.no_grad()
def pass_moments(model: torch.nn.Module, dataset, plan: EstimatorPlan, task: str, *, batch_size: int = 256,
                 seed: int = 0, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Means and variances ``[P, G, T]`` of the ``plan.passes`` forward passes of one model over ``dataset``:
    target units and variance in target units squared (regression), probabilities and 0 (classification).
    Dropout is active when ``passes > 1``; the dropout masks are drawn from a generator seeded with ``seed`` (on
    ``device``'s generator: a GPU draws other masks than the CPU)."""
    from molgdl.data.batches import ordered_batches

    model = model.to(device).eval()
    if plan.passes > 1:
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.train()
    n_targets = model.y_mean.numel()
    means, variances = [], []
    on_cuda = torch.device(device).type == "cuda"
    with torch.random.fork_rng(devices=[torch.device(device).index or 0] if on_cuda else []):
        torch.manual_seed(seed)
        for _ in range(plan.passes):
            mu_parts, var_parts = [], []
            for batch in ordered_batches(dataset, batch_size):
                batch = batch.to(device)
                mu, var = head_moments(plan.head, model(batch), n_targets)
                if task == "classification":
                    mu, var = torch.sigmoid(mu), torch.zeros_like(mu)
                else:
                    mu, var = model.unscale(mu, batch), var * model.y_std ** 2
                mu_parts.append(mu.double().cpu())
                var_parts.append(var.double().cpu())
            means.append(torch.cat(mu_parts).numpy())
            variances.append(torch.cat(var_parts).numpy())
    model.eval()
    return np.stack(means), np.stack(variances)


def mixture(means: np.ndarray, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[G, T]`` and total variance ``[G, T]`` of an equal-weight mixture of ``S`` samples ``[S, G, T]``:
    ``mean(mu)`` and ``mean(var) + var(mu)`` (law of total variance)."""
    return means.mean(0), variances.mean(0) + means.var(0)
