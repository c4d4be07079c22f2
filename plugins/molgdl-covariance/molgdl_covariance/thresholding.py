"""Hard-thresholded uniform-block estimate for many communities (K comparable to n; arXiv:2302.01861, Sec. 3).

Off-diagonal block constants ``b_kl`` (k != l) with ``|b_kl| < lambda`` are set to 0; ``a`` and ``b_kk`` are
kept. ``lambda`` is chosen by random-split cross-validation (Bickel & Levina 2008, as in the authors'
``MODIFIED_HARD_THRESHOLDING_RANDOM_CV``): split the n samples into ``n1 = n - floor(n / log n)`` and
``n2 = floor(n / log n)``, and minimise the mean ``||T_lambda(Sigma_1) - Sigma_2||_F^2`` over the splits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimator import ub_estimate
from .ub_matrix import UBMatrix, ub_frobenius


def hard_threshold(m: UBMatrix, threshold: float) -> UBMatrix:
    """Zero the off-diagonal block constants with ``|b_kl| < threshold`` (diagonal parts kept)."""
    b = np.where(np.abs(m.b) >= threshold, m.b, 0.0)
    np.fill_diagonal(b, np.diag(m.b))
    return UBMatrix(a=m.a.copy(), b=b, sizes=m.sizes)


@dataclass(frozen=True)
class ThresholdFit:
    """estimate: the thresholded full-sample estimate; threshold: chosen lambda; grid/loss: ``[G]`` CV curve."""

    estimate: UBMatrix
    threshold: float
    grid: np.ndarray
    loss: np.ndarray


def threshold_cv(X: np.ndarray, labels, *, grid: np.ndarray | None = None, n_splits: int = 20,
                 seed: int = 0) -> ThresholdFit:
    """Hard-thresholded estimate with lambda chosen by random-split CV.

    Shapes: X ``[n, p]``, labels ``[p]``; grid ``[G]`` (default: 0 and 24 quantiles of the full-sample
    ``|b_kl|``, k != l).
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    full = ub_estimate(X, labels)
    if grid is None:
        off = np.abs(full.b[~np.eye(full.K, dtype=bool)])
        grid = np.unique(np.concatenate([[0.0], np.quantile(off, np.linspace(0.0, 1.0, 24))])) if off.size else np.zeros(1)
    grid = np.asarray(grid, dtype=float)
    n2 = max(2, int(np.floor(n / np.log(n))))
    n1 = n - n2
    if n1 < 2:
        raise ValueError(f"threshold CV needs more samples (n={n})")
    rng = np.random.default_rng(seed)
    loss = np.zeros(grid.size)
    for _ in range(n_splits):
        perm = rng.permutation(n)
        first, second = ub_estimate(X[perm[:n1]], labels), ub_estimate(X[perm[n1:]], labels)
        loss += [ub_frobenius(hard_threshold(first, t), second) ** 2 for t in grid]
    loss /= n_splits
    best = float(grid[int(np.argmin(loss))])
    return ThresholdFit(hard_threshold(full, best), best, grid, loss)
