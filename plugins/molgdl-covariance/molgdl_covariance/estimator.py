"""Block-average (UMVUE under Gaussianity) estimator of a uniform-block covariance (arXiv:2302.01861, Sec. 2).

From the sample covariance S (divisor ``n - 1``):
``b_kk = sum_{i != j in k} S_ij / (p_k (p_k - 1))``, ``a_k = mean_{i in k} S_ii - b_kk``,
``b_kl = sum_{i in k, j in l} S_ij / (p_k p_l)``. A singleton community (p_k = 1) has no within-community
covariance: ``b_kk = 0`` and ``a_k = S_ii`` by convention.
"""

from __future__ import annotations

import numpy as np

from .partition import block_sizes, check_labels, membership
from .ub_matrix import UBMatrix


def _from_block_sums(sums: np.ndarray, traces: np.ndarray, sizes: np.ndarray) -> UBMatrix:
    p = sizes.astype(float)
    pairs = p * (p - 1)
    diag_b = np.where(sizes > 1, (np.diag(sums) - traces) / np.where(pairs > 0, pairs, 1.0), 0.0)
    b = sums / np.outer(p, p)
    b = (b + b.T) / 2
    np.fill_diagonal(b, diag_b)
    a = traces / p - diag_b
    return UBMatrix(a=a, b=b, sizes=sizes)


def ub_from_covariance(S: np.ndarray, labels) -> UBMatrix:
    """Block averages of a covariance matrix.

    Shapes: S ``[p, p]``, labels ``[p]`` (values 0..K-1) -> ``UBMatrix`` with a ``[K]``, b ``[K, K]``.
    """
    S = np.asarray(S, dtype=float)
    labels = check_labels(labels, S.shape[0])
    z = membership(labels)
    return _from_block_sums(z.T @ S @ z, z.T @ np.diag(S), block_sizes(labels))


def ub_estimate(X: np.ndarray, labels, *, assume_centered: bool = False) -> UBMatrix:
    """The uniform-block estimate from data, in O(n p K) time without forming the ``[p, p]`` sample covariance.

    Shapes: X ``[n, p]`` (rows = samples), labels ``[p]`` -> ``UBMatrix``. Divisor ``n - 1`` (``n`` when
    ``assume_centered``), i.e. block averages of the unbiased sample covariance. The degrees of freedom
    for ``inference``/``precision`` are ``n - 1`` (``n`` when assume_centered).
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    labels = check_labels(labels, p)
    xc = X if assume_centered else X - X.mean(0)
    dof = n if assume_centered else n - 1
    if dof < 1:
        raise ValueError(f"need at least {2 - int(assume_centered)} samples, got {n}")
    z = membership(labels)
    scores = xc @ z  # [n, K] block sums per sample
    sums = scores.T @ scores / dof
    traces = z.T @ (xc**2).sum(0) / dof
    return _from_block_sums(sums, traces, block_sizes(labels))
