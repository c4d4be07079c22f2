"""Similarity of two feature sets measured on the same samples: linear CKA and CCA."""

from __future__ import annotations

import numpy as np


def linear_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """Linear centered kernel alignment (Kornblith et al. 2019): ``||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)``.

    Shapes: X ``[n, d1]``, Y ``[n, d2]`` -> scalar in [0, 1]; invariant to orthogonal maps and isotropic scaling.
    """
    xc = np.asarray(X, float) - np.mean(X, 0)
    yc = np.asarray(Y, float) - np.mean(Y, 0)
    num = np.linalg.norm(yc.T @ xc) ** 2
    den = np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
    return float(num / den) if den > 0 else float("nan")


def _principal_basis(X: np.ndarray, max_components: int) -> np.ndarray:
    """Orthonormal basis ``[n, r]`` of the top principal components of centred X (numerical rank kept)."""
    xc = X - X.mean(0)
    u, s, _ = np.linalg.svd(xc, full_matrices=False)
    r = int(np.sum(s > s[0] * 1e-10)) if s.size and s[0] > 0 else 0
    return u[:, : min(r, max_components)]


def canonical_correlations(X: np.ndarray, Y: np.ndarray, max_components: int = 10) -> np.ndarray:
    """Canonical correlations (descending) between the top ``max_components`` principal components of X and of Y.

    Shapes: X ``[n, d1]``, Y ``[n, d2]`` -> ``[min(r_x, r_y)]``. The PCA step keeps CCA from reaching 1 trivially
    when a set has nearly as many columns as samples; keep ``2 * max_components`` well below n.
    """
    ux = _principal_basis(np.asarray(X, float), max_components)
    uy = _principal_basis(np.asarray(Y, float), max_components)
    if ux.shape[1] == 0 or uy.shape[1] == 0:
        return np.zeros(0)
    return np.clip(np.linalg.svd(ux.T @ uy, compute_uv=False), 0.0, 1.0)
