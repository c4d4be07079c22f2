"""Reference estimators against independent formulas: np.cov, the Ledoit-Wolf and OAS closed forms, and the
graphical lasso's optimality (KKT) conditions."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl_covariance import graphical_lasso, ledoit_wolf, oas, sample_covariance


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, 12)) @ rng.standard_normal((12, 12)) * 0.5


def test_sample_covariance(data):
    xc = data - data.mean(0)
    np.testing.assert_allclose(sample_covariance(data), xc.T @ xc / (len(data) - 1), rtol=1e-12)


def test_ledoit_wolf_closed_form(data):
    """Ledoit & Wolf (2004): shrink S (divisor n) to mu I, mu = tr S / p, intensity min(b2, d2) / d2."""
    n, p = data.shape
    xc = data - data.mean(0)
    S = xc.T @ xc / n
    mu = np.trace(S) / p
    d2 = np.sum((S - mu * np.eye(p)) ** 2)
    b2 = sum(np.sum((np.outer(x, x) - S) ** 2) for x in xc) / n**2
    shrink = min(b2, d2) / d2
    np.testing.assert_allclose(ledoit_wolf(data), shrink * mu * np.eye(p) + (1 - shrink) * S, rtol=1e-10)


def test_oas_closed_form(data):
    """Chen et al. (2010) as in scikit-learn: rho = min(((1 - 2/p) tr(S^2) + tr(S)^2) / ((n + 1 - 2/p)(tr(S^2) - tr(S)^2 / p)), 1)."""
    n, p = data.shape
    xc = data - data.mean(0)
    S = xc.T @ xc / n
    mu = np.trace(S) / p
    alpha = np.mean(S**2)
    num = alpha + mu**2
    den = (n + 1) * (alpha - mu**2 / p)
    rho = min(num / den, 1.0)
    np.testing.assert_allclose(oas(data), (1 - rho) * S + rho * mu * np.eye(p), rtol=1e-10)


def test_graphical_lasso_kkt():
    """At the optimum of -logdet(T) + tr(S T) + alpha |T|_1,off: W = T^-1 has W_ii = S_ii,
    W_ij - S_ij = alpha sign(T_ij) where T_ij != 0 and |W_ij - S_ij| <= alpha elsewhere."""
    alpha = 0.1
    rng = np.random.default_rng(1)  # well-conditioned data: the coordinate descent converges tightly
    data = rng.standard_normal((60, 10)) + 0.7 * rng.standard_normal((60, 1))
    W, T = graphical_lasso(data, alpha=alpha, max_iter=2000, tol=1e-12)
    n = len(data)
    xc = data - data.mean(0)
    S = xc.T @ xc / n
    np.testing.assert_allclose(np.linalg.inv(T), W, rtol=1e-2, atol=1e-3)  # sklearn's T and W agree loosely
    np.testing.assert_allclose(np.diag(W), np.diag(S), rtol=1e-6)
    G = W - S
    off = ~np.eye(len(S), dtype=bool)
    nz = off & (np.abs(T) > 1e-8)
    np.testing.assert_allclose(G[nz], alpha * np.sign(T[nz]), atol=1e-3)
    assert np.all(np.abs(G[off & ~nz]) <= alpha + 1e-3)
    assert 0 < nz.sum() < off.sum()  # some but not all edges kept
