"""Closed-form inverse of a uniform-block matrix and the precision estimators built on it.

``(A o I + B o J)^-1 = A^-1 o I + B' o J`` with ``B' = -(A + B P)^-1 B A^-1 = P^-1/2 (Delta^-1 - A^-1) P^-1/2``,
``Delta = A + P^1/2 B P^1/2`` (arXiv:2302.01861; methods.md section 3). Cost O(K^3).
"""

from __future__ import annotations

import numpy as np

from .ub_matrix import UBMatrix


def _inverse_parts(a_inv: np.ndarray, delta_inv: np.ndarray, sizes: np.ndarray) -> UBMatrix:
    r = 1.0 / np.sqrt(sizes.astype(float))
    b = r[:, None] * (delta_inv - np.diag(a_inv)) * r[None, :]
    return UBMatrix(a=a_inv, b=(b + b.T) / 2, sizes=sizes)


def ub_inverse(m: UBMatrix) -> UBMatrix:
    """Exact inverse of a positive definite uniform-block matrix, again uniform-block.

    Shapes: a ``[K]``, b ``[K, K]`` -> same. Raises ``np.linalg.LinAlgError`` when not invertible.
    """
    if np.any(m.a == 0):
        raise np.linalg.LinAlgError("a uniform-block matrix with a_k = 0 is singular")
    return _inverse_parts(1.0 / m.a, np.linalg.inv(m.delta()), m.sizes)


def plugin_precision(est: UBMatrix) -> UBMatrix:
    """Plug-in precision: the exact inverse of the estimated covariance (the authors' released code)."""
    return ub_inverse(est)


def corrected_precision(est: UBMatrix, dof: int) -> UBMatrix:
    """Bias-corrected (unbiased under Gaussianity) precision estimate.

    With ``nu = dof`` (n - 1 for centred data) and ``nu_k = nu (p_k - 1)`` (``nu`` for a singleton):
    ``A^-1 -> (nu_k - 2) / nu_k * a_k^-1`` and ``Delta^-1 -> (nu - K - 1) / nu * Delta_hat^-1``, since
    ``a_hat_k ~ a_k chi2(nu_k) / nu_k`` and ``Delta_hat ~ W_K(Delta, nu) / nu`` independently.
    Needs ``nu > K + 1`` and ``nu_k > 2``.
    """
    K = est.K
    nu = float(dof)
    nu_k = nu * np.maximum(est.sizes - 1, 1)
    if nu <= K + 1 or np.any(nu_k <= 2):
        raise ValueError(f"bias correction needs n - 1 > K + 1 and (n - 1)(p_k - 1) > 2: dof={dof}, K={K}")
    a_inv = (nu_k - 2) / nu_k / est.a
    delta_inv = (nu - K - 1) / nu * np.linalg.inv(est.delta())
    return _inverse_parts(a_inv, delta_inv, est.sizes)


def block_partial_correlation(omega: UBMatrix) -> np.ndarray:
    """Partial correlations implied by a uniform-block precision, one value per block pair.

    ``rho_ij = -Omega_ij / sqrt(Omega_ii Omega_jj)`` is constant within a block: entry ``[k, l]`` is the
    partial correlation of a feature of k with another feature of l (for k = l, two distinct features;
    NaN for a singleton k). Shapes: ``[K, K]``.
    """
    d = omega.a + np.diag(omega.b)  # Omega_ii of a feature of community k
    rho = -omega.b / np.sqrt(np.outer(d, d))
    rho[np.diag_indices_from(rho)] = np.where(omega.sizes > 1, np.diag(rho), np.nan)
    return rho


def partial_correlation(omega: np.ndarray) -> np.ndarray:
    """Partial correlation matrix of a dense precision ``[p, p]`` (unit diagonal)."""
    d = np.sqrt(np.diag(omega))
    rho = -omega / np.outer(d, d)
    np.fill_diagonal(rho, 1.0)
    return rho
