"""Uncertainty metrics of one target on one split (arrays ``[N]``, target units).

``nll``: mean Gaussian negative log likelihood with the calibrated standard deviation;
``miscal_area``: mean over nominal levels p in (0, 1) of |observed coverage of the central p interval - p|
(the area between the calibration curve and the diagonal, Tran et al. 2020);
``ence``: expected normalised calibration error over equal-count bins of the uncertainty (Levi et al. 2019);
``spearman``: rank correlation of |error| and uncertainty; ``coverage``/``width``: of the intervals at the run's
nominal coverage.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import stats

LEVELS = np.linspace(0.01, 0.99, 99)
Interval = Callable[[float], tuple[np.ndarray, np.ndarray]]


def gaussian_nll(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    var = np.maximum(sigma, 1e-12) ** 2
    return float(np.mean(0.5 * np.log(2 * np.pi * var) + (y - mu) ** 2 / (2 * var)))


def coverage_curve(y: np.ndarray, interval: Interval, levels: np.ndarray = LEVELS) -> np.ndarray:
    """Observed fraction of ``y`` inside the interval at each nominal level: ``[len(levels)]``."""
    out = []
    for p in levels:
        lo, hi = interval(float(p))
        out.append(np.mean((y >= lo) & (y <= hi)))
    return np.asarray(out)


def miscalibration_area(y: np.ndarray, interval: Interval) -> float:
    return float(np.mean(np.abs(coverage_curve(y, interval) - LEVELS)))


def ence(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, bins: int = 10) -> float:
    """``mean_k |RMV_k - RMSE_k| / RMV_k`` over ``bins`` equal-count bins sorted by ``sigma``."""
    order = np.argsort(sigma)
    parts = [p for p in np.array_split(order, min(bins, len(order))) if len(p)]
    vals = []
    for idx in parts:
        rmv = np.sqrt(np.mean(sigma[idx] ** 2))
        rmse = np.sqrt(np.mean((y[idx] - mu[idx]) ** 2))
        # an infinite predicted variance (an evidential head with v -> 0) makes the bin's term its limit, 1
        vals.append(1.0 if np.isinf(rmv) and np.isfinite(rmse) else abs(rmv - rmse) / max(rmv, 1e-12))
    return float(np.mean(vals))


def spearman(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    if len(y) < 3 or np.ptp(sigma) == 0:
        return float("nan")
    return float(stats.spearmanr(np.abs(y - mu), sigma).statistic)


def regression_metrics(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, interval: Interval,
                       coverage: float) -> dict[str, float]:
    """Every metric above, with keys prefixed ``unc_``; ``sigma`` is the calibrated uncertainty."""
    lo, hi = interval(coverage)
    return {"unc_nll": gaussian_nll(y, mu, sigma), "unc_miscal_area": miscalibration_area(y, interval),
            "unc_ence": ence(y, mu, sigma), "unc_spearman": spearman(y, mu, sigma),
            "unc_coverage": float(np.mean((y >= lo) & (y <= hi))), "unc_width": float(np.mean(hi - lo))}


def classification_metrics(y: np.ndarray, p: np.ndarray, spread: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Log loss, expected calibration error (equal-width probability bins) and Spearman(|y - p|, spread)."""
    q = np.clip(p, 1e-7, 1 - 1e-7)
    nll = float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    which = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(abs(np.mean(y[which == b]) - np.mean(p[which == b])) * np.mean(which == b)
              for b in range(bins) if np.any(which == b))
    return {"unc_nll": nll, "unc_ece": float(ece), "unc_spearman": spearman(y, p, spread)}
