"""Stacking weights: non-negative least squares of the target on the members' out-of-fold predictions.

For target ``t``: ``w = argmin ||P w - y||^2`` subject to ``w >= 0`` (``scipy.optimize.nnls``; Lawson and
Hanson 1974; Breiman 1996, "Stacked regressions", who showed the non-negativity is what makes stacking work),
then ``w / sum(w)``, so the ensemble is a weighted average of its members. Rows with a missing target or a
missing prediction of any member are left out. ``mean``: every member ``1 / M``.
"""

from __future__ import annotations

import numpy as np


def nnls_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights ``[M]`` (non-negative, sum 1) from predictions ``P`` ``[N, M]`` and targets ``y`` ``[N]``;
    equal weights when no row is usable or every NNLS weight is 0 (e.g. all members anti-correlated with
    ``y``)."""
    from scipy.optimize import nnls

    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = P.shape[1]
    rows = np.isfinite(y) & np.isfinite(P).all(axis=1)
    if not rows.any():
        return np.full(m, 1.0 / m)
    w, _ = nnls(P[rows], y[rows])
    total = w.sum()
    return w / total if total > 0 else np.full(m, 1.0 / m)


def fit_weights(oof: dict[str, np.ndarray], y: np.ndarray, method: str) -> np.ndarray:
    """Per-target weights ``[T, M]`` (members in the order of ``oof``) from out-of-fold predictions
    ``oof[name]`` ``[N, T]`` and targets ``y`` ``[N, T]``."""
    names = list(oof)
    n_targets = y.shape[1]
    if method == "mean":
        return np.full((n_targets, len(names)), 1.0 / len(names))
    return np.stack([nnls_weights(np.stack([oof[n][:, t] for n in names], axis=1), y[:, t])
                     for t in range(n_targets)])


def combine(preds: dict[str, np.ndarray | None], weights: np.ndarray) -> np.ndarray:
    """Weighted sum ``[N, T]`` of member predictions ``preds[name]`` ``[N, T]`` with ``weights`` ``[T, M]``
    (members in the order of ``preds``). A member with weight 0 for a target is left out of that target (its
    prediction may be None: not trained); a molecule missing a weighted member's prediction gets NaN."""
    names = list(preds)
    n, n_targets = next(p for p in preds.values() if p is not None).shape
    out = np.zeros((n, n_targets))
    for t in range(n_targets):
        for j, name in enumerate(names):
            if weights[t, j] > 0:
                out[:, t] += weights[t, j] * preds[name][:, t]
    return out
