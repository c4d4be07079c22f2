"""Empirical-CDF scaling of molecule descriptors (``scaling.descriptors: cdf``).

Each descriptor column is mapped through its training-set empirical CDF to [0, 1], like descriptastorus'
``rdkit_2d_normalized`` (which chemprop users know) but fitted on the run's own training split and stored in
``model.pt`` as a buffer. Heavy tails, outliers and unusual test molecules cannot leave [0, 1]. The maths is
scikit-learn's ``QuantileTransformer(output_distribution="uniform")``: quantiles at evenly spaced probabilities,
interpolated linearly, ties mapped to the middle of their probability range (tested against it).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import Tensor

N_QUANTILES = 1001


def fit_quantiles(extra: np.ndarray, n_quantiles: int = N_QUANTILES) -> np.ndarray:
    """Training descriptors ``[M, D]`` (NaN = missing) -> column quantiles ``[n_quantiles, D]`` at probabilities
    ``linspace(0, 1, n_quantiles)``, non-decreasing; a column with no value gets zeros."""
    probs = np.linspace(0.0, 100.0, n_quantiles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        q = np.nanpercentile(np.asarray(extra, dtype=np.float64), probs, axis=0)
    q = np.where(np.isfinite(q), q, 0.0)
    return np.maximum.accumulate(q, axis=0)


def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """``numpy.interp`` per column: x ``[B, D]``, xp ``[D, K]`` non-decreasing, fp ``[K]`` -> ``[B, D]``."""
    k = xp.shape[1]
    xt = x.t().contiguous()
    idx = torch.searchsorted(xp, xt, right=True).clamp(1, k - 1)
    x0, x1 = xp.gather(1, idx - 1), xp.gather(1, idx)
    f0, f1 = fp[idx - 1], fp[idx]
    width = x1 - x0
    slope = torch.where(width > 0, (f1 - f0) / torch.where(width > 0, width, 1.0), 0.0)
    out = f0 + (xt - x0) * slope
    out = torch.where(xt < xp[:, :1], fp[0], out)
    out = torch.where(xt >= xp[:, -1:], fp[-1], out)
    return out.t()


def cdf_transform(x: Tensor, quantiles: Tensor) -> Tensor:
    """Descriptors ``[B, D]`` -> empirical CDF values in [0, 1] ``[B, D]``; NaN/inf -> 0.5 (the median).

    quantiles: ``[K, D]`` from :func:`fit_quantiles`.
    """
    q = quantiles.t().contiguous().to(x.dtype)
    fp = torch.linspace(0.0, 1.0, q.shape[1], dtype=x.dtype, device=x.device)
    finite = torch.isfinite(x)
    xs = torch.where(finite, x, 0.0)
    # forward and backward interpolation averaged: a value equal to several quantiles (a tie, common for
    # counts) maps to the middle of their probability range
    up = _interp(xs, q, fp)
    down = -_interp(-xs, -q.flip(1), -fp.flip(0))
    out = 0.5 * (up + down)
    out = torch.where(xs == q[:, -1], 1.0, out)  # the training extremes map to 0 and 1 exactly (the minimum
    out = torch.where(xs == q[:, 0], 0.0, out)   # wins for a constant column), as scikit-learn does
    return torch.where(finite, out, 0.5)
