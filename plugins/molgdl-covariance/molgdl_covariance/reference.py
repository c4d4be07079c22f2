"""Reference covariance/precision estimators for comparison (scikit-learn), one function each.

All take X ``[n, p]`` (rows = samples) and return ``[p, p]``. The sample covariance uses divisor ``n - 1``;
Ledoit-Wolf, OAS and the graphical lasso follow scikit-learn (shrinkage of the divisor-n covariance).
"""

from __future__ import annotations

import numpy as np


def sample_covariance(X: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (divisor ``n - 1``)."""
    return np.cov(np.asarray(X, dtype=float), rowvar=False)


def ledoit_wolf(X: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf shrinkage towards a scaled identity (``sklearn.covariance.LedoitWolf``)."""
    from sklearn.covariance import LedoitWolf

    return LedoitWolf().fit(X).covariance_


def oas(X: np.ndarray) -> np.ndarray:
    """Oracle approximating shrinkage (``sklearn.covariance.OAS``)."""
    from sklearn.covariance import OAS

    return OAS().fit(X).covariance_


def graphical_lasso(X: np.ndarray, alpha: float = 0.1, max_iter: int = 200,
                    tol: float = 1e-4, standardize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """L1-penalised Gaussian MLE (``sklearn.covariance.GraphicalLasso``): (covariance, precision).

    standardize: fit on the correlation scale (alpha then penalises partial correlations) and rescale back by
    the sample standard deviations; needed when the covariance is ill-conditioned and the solver fails.
    """
    import warnings

    from sklearn.covariance import GraphicalLasso

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on ill-conditioned data: the iterate is returned
        X = np.asarray(X, dtype=float)
        scale = X.std(0) if standardize else np.ones(X.shape[1])
        fit = GraphicalLasso(alpha=alpha, max_iter=max_iter, tol=tol, mode="cd").fit(X / scale)
    return fit.covariance_ * np.outer(scale, scale), fit.precision_ / np.outer(scale, scale)
