"""Asymptotic standard errors and Wald intervals of the block parameters (authors' ``CALCULATE_VAR_A_B``).

With ``nu = n - 1``: ``Var(a_k) = 2 a_k^2 / (nu (p_k - 1))``;
``Var(b_kk) = 2 [(a_k + p_k b_kk)^2 - b_kk (2 a_k + p_k b_kk)] / (nu (p_k - 1) p_k)``;
``Var(b_kl) = [p_k p_l (b_kl^2 + b_lk^2) + 2 (a_k + p_k b_kk)(a_l + p_l b_ll)] / (2 nu p_k p_l)``.
These are exact under Gaussianity at the true parameters; plugging in estimates gives the usual SEs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from .ub_matrix import UBMatrix


@dataclass(frozen=True)
class BlockStandardErrors:
    """Standard errors: a ``[K]``, b ``[K, K]`` (NaN for ``b_kk`` of a singleton, which is fixed at 0)."""

    a: np.ndarray
    b: np.ndarray


def block_standard_errors(m: UBMatrix, dof: int) -> BlockStandardErrors:
    """Standard errors of ``a_hat`` ``[K]`` and ``b_hat`` ``[K, K]`` at parameters ``m`` with ``dof = n - 1``."""
    nu = float(dof)
    p = m.sizes.astype(float)
    a, bd = m.a, np.diag(m.b)
    q = np.maximum(p - 1, 1)  # a singleton's a_k is a plain sample variance: nu degrees of freedom
    var_a = 2 * a**2 / (nu * q)
    delta = a + p * bd
    with np.errstate(divide="ignore", invalid="ignore"):
        var_bd = np.where(p > 1, 2 * (delta**2 - bd * (2 * a + p * bd)) / (nu * (p - 1) * p), np.nan)
    pp = np.outer(p, p)
    var_b = (pp * (m.b**2 + m.b.T**2) + 2 * np.outer(delta, delta)) / (2 * nu * pp)
    np.fill_diagonal(var_b, var_bd)
    return BlockStandardErrors(a=np.sqrt(var_a), b=np.sqrt(var_b))


def wald_interval(estimate: np.ndarray, se: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Wald interval ``estimate -/+ z_(1+level)/2 * se`` (same shapes as the inputs)."""
    z = norm.ppf(0.5 + level / 2)
    return estimate - z * se, estimate + z * se
