"""Scenario 1 of arXiv:2302.01861 (authors' ``Scenario_1_Comparison_Small_K.R``): K = 5 communities."""

from __future__ import annotations

import numpy as np

from .ub_matrix import UBMatrix

SCENARIO1_A = np.array([0.01595042, 0.21392707, 0.74912381, 0.06771268, 0.10017260])
SCENARIO1_B = np.array([
    [6.73139386, -1.69034339, 0.69591280, -2.93647430, 1.91315819],
    [-1.69034339, 5.21462208, 3.81497235, -1.01011751, 0.70298054],
    [0.69591280, 3.81497235, 4.32780351, -3.35737580, -0.26890092],
    [-2.93647430, -1.01011751, -3.35737580, 6.78768893, 0.00018746],
    [1.91315819, 0.70298054, -0.26890092, 0.00018746, 3.95418249],
])
# published means over 1000 replications at n = 50, p = 150 (Frobenius errors)
PAPER_N50_P150 = {"covariance": 130.1, "covariance_se": 39.6, "precision": 11.13, "precision_se": 7.09,
                  "glasso_precision": 351.6}


def scenario1(block_size: int = 30) -> UBMatrix:
    """The true covariance of Scenario 1 with K = 5 equal communities of ``block_size`` (p = 5 * block_size)."""
    return UBMatrix(a=SCENARIO1_A.copy(), b=SCENARIO1_B.copy(), sizes=np.full(5, block_size))


def sample_gaussian(sigma: UBMatrix, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of ``N(0, Sigma)`` for a uniform-block Sigma, in O(n p) (no dense Cholesky).

    A feature of community k is ``f_k + sqrt(a_k) e`` with a shared block factor ``f ~ N(0, B)`` ``[K]`` and
    independent ``e ~ N(0, 1)`` (needs B PSD; otherwise falls back to a dense Cholesky).
    Shapes: -> ``[n, p]``, features in contiguous blocks.
    """
    labels = np.repeat(np.arange(sigma.K), sigma.sizes)
    w, v = np.linalg.eigh(sigma.b)
    if w[0] < -1e-10 * max(1.0, abs(w[-1])):
        # B not PSD: fall back to the dense Cholesky of Sigma
        chol = np.linalg.cholesky(sigma.dense())
        return rng.standard_normal((n, labels.size)) @ chol.T
    root = v * np.sqrt(np.clip(w, 0.0, None))
    factors = rng.standard_normal((n, sigma.K)) @ root.T  # [n, K] ~ N(0, B)
    noise = rng.standard_normal((n, labels.size)) * np.sqrt(sigma.a)[labels]
    return factors[:, labels] + noise
