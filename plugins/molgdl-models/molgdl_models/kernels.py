r"""Fingerprint similarity kernels: Tanimoto (dot-product form) and MinMax (generalised Tanimoto).

.. math::
    T(x, y) = \frac{x \cdot y}{\|x\|^2 + \|y\|^2 - x \cdot y}, \qquad
    M(x, y) = \frac{\sum_i \min(x_i, y_i)}{\sum_i \max(x_i, y_i)}

On 0/1 bit vectors both equal the Tanimoto (Jaccard) coefficient :math:`|x \cap y| / |x \cup y|`.
``tanimoto`` is defined for any real vectors (the "continuous Tanimoto"; positive definite on
:math:`\mathbb{R}^d`, Tripp et al., NeurIPS 2023), ``minmax`` only for non-negative ones such as count
fingerprints (Ralaivola et al., Neural Networks 2005), where it is positive definite. The similarity of two
all-zero vectors is taken as 1 (identical), which keeps both kernels positive semi-definite.
MinMax uses :math:`\min(a,b) = (a+b-|a-b|)/2` and :math:`\max(a,b) = (a+b+|a-b|)/2`, so
:math:`M = (S - L_1) / (S + L_1)` with :math:`S = \sum x + \sum y` and the city-block distance :math:`L_1`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from molgdl.errors import DataError

ROW_BLOCK = 1024  # rows of X per block: bounds the temporary memory of a kernel call


def tanimoto_kernel(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Tanimoto similarities ``[n, m]`` of the rows of ``X`` ``[n, d]`` and ``Y`` ``[m, d]``, in [-1/3, 1]."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    dot = X @ Y.T
    denom = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - dot
    return _ratio(dot, denom)


def minmax_kernel(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """MinMax similarities ``[n, m]`` of non-negative rows of ``X`` ``[n, d]`` and ``Y`` ``[m, d]``, in
    [0, 1]."""
    from scipy.spatial.distance import cdist

    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    out = np.empty((len(X), len(Y)))
    sy = Y.sum(1)[None, :]
    for start in range(0, len(X), ROW_BLOCK):
        xb = X[start:start + ROW_BLOCK]
        l1 = cdist(xb, Y, "cityblock") if len(Y) and len(xb) else np.zeros((len(xb), len(Y)))
        s = xb.sum(1)[:, None] + sy
        out[start:start + ROW_BLOCK] = _ratio(s - l1, s + l1)
    return out


def _ratio(num: np.ndarray, denom: np.ndarray) -> np.ndarray:
    """``num / denom`` with 0/0 (two all-zero vectors) = 1."""
    empty = denom <= 0
    return np.where(empty, 1.0, num / np.where(empty, 1.0, denom))


KERNELS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "tanimoto": tanimoto_kernel,
    "minmax": minmax_kernel,
}


def check_kernel_input(X: np.ndarray, kernel: str, where: str) -> np.ndarray:
    """``X`` as float64 ``[n, d]``; finite, and non-negative for ``minmax`` (else ``DataError``)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise DataError(f"{where}: expected a 2D descriptor matrix, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise DataError(f"{where}: descriptors contain NaN or inf", hint="impute missing descriptors first")
    if kernel == "minmax" and X.size and X.min() < 0:
        cols = np.unique(np.nonzero(X < 0)[1])
        raise DataError(
            f"{where}: kernel 'minmax' needs non-negative descriptors, but column(s) "
            f"{cols[:10].tolist()}{' ...' if len(cols) > 10 else ''} have negative values",
            hint="use fingerprints (bits or counts) as descriptors, or kernel: tanimoto (defined for any real "
                 "values)",
        )
    return X
