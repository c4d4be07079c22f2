"""Evaluation metrics per target and overall (scikit-learn implementations)."""

from __future__ import annotations

import math

import numpy as np
from sklearn import metrics as skm


def _regression(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(math.sqrt(skm.mean_squared_error(y, p))),
        "mae": float(skm.mean_absolute_error(y, p)),
        "r2": float(skm.r2_score(y, p)) if len(y) > 1 else float("nan"),
    }


def _classification(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    if len(np.unique(y)) < 2:
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    return {"roc_auc": float(skm.roc_auc_score(y, p)), "pr_auc": float(skm.average_precision_score(y, p))}


def compute_metrics(y: np.ndarray, pred: np.ndarray, task: str, target_names: list[str]) -> dict[str, dict[str, float]]:
    """y, pred: ``[M, T]`` (y NaN = missing; pred are probabilities for classification).

    Returns ``{target: {metric: value}, "overall": {metric: mean over targets}}``.
    """
    fn = _classification if task == "classification" else _regression
    out: dict[str, dict[str, float]] = {}
    for t, name in enumerate(target_names):
        mask = ~np.isnan(y[:, t])
        out[name] = fn(y[mask, t], pred[mask, t]) if mask.any() else {}
    keys = set().union(*(m.keys() for m in out.values()))
    out["overall"] = {k: _mean_of_defined([m[k] for m in out.values() if k in m]) for k in sorted(keys)}
    return out


def _mean_of_defined(values: list[float]) -> float:
    """Mean over the targets where the metric is defined; NaN (without numpy's warning) where it is nowhere, e.g.
    ROC-AUC when every test label is one class."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")


def cliff_rmse(y: np.ndarray, pred: np.ndarray, cliff: np.ndarray, target_names: list[str]) -> dict[str, float]:
    """RMSE over the molecules flagged as activity cliffs (MoleculeACE's "cliff RMSE", van Tilborg et al.,
    JCIM 2022), in target units. y, pred: ``[M, T]``; cliff: ``[M]`` 0/1 (NaN = unknown, left out).

    Returns ``{target: rmse}`` for targets with at least one flagged, non-missing value, plus ``"overall"``
    (mean over those targets); ``{}`` when no molecule is flagged.
    """
    flagged = np.asarray(cliff, dtype=np.float64) == 1.0
    out: dict[str, float] = {}
    for t, name in enumerate(target_names):
        mask = flagged & ~np.isnan(y[:, t])
        if mask.any():
            out[name] = float(math.sqrt(np.mean((y[mask, t] - pred[mask, t]) ** 2)))
    if out:
        out["overall"] = float(np.mean(list(out.values())))
    return out


def primary_metric(task: str) -> str:
    return "roc_auc" if task == "classification" else "rmse"
