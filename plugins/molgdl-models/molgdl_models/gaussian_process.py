"""Gaussian-process regression and classification on standardised descriptors (scikit-learn).

Each descriptor column is centred and scaled to unit variance on the training rows (constant columns keep
scale 1). Regression: ``GaussianProcessRegressor`` with kernel ``c * RBF(l) + WhiteKernel(s)`` (isotropic
length ``l``, signal variance ``c`` and noise ``s`` fitted by maximising the log marginal likelihood on the
training rows, targets normalised), the posterior mean as the prediction; ``predict_std`` gives the
posterior standard deviation (target units). Classification (binary): ``GaussianProcessClassifier`` with
``c * RBF(l)`` (Laplace approximation). Exact GPs cost O(n^3) time and O(n^2) memory in the number of
training molecules: ``max_train`` refuses sets where that is no longer a laptop job.

Shapes: ``fit(X [n, d], y [n])``, ``predict(X [m, d]) -> [m]``, ``predict_std(X) -> [m]``,
``predict_proba(X [m, d]) -> [m, 2]``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from molgdl.errors import ConfigError


def _kernel(length_scale: float, noise: Optional[float]):
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(length_scale, (1e-2, 1e4))
    return kernel if noise is None else kernel + WhiteKernel(noise, (1e-6, 1e1))


class _Standardised(BaseEstimator):
    def _scale(self, X: Any, fit: bool) -> np.ndarray:
        from sklearn.preprocessing import StandardScaler

        X = np.asarray(X, dtype=np.float64)
        if fit:
            if len(X) > self.max_train:
                raise ConfigError(
                    f"model gp: {len(X)} training molecules, above max_train={self.max_train}: an exact "
                    f"Gaussian process needs O(n^2) memory ({8 * len(X) ** 2 / 1e9:.1f} GB for its kernel "
                    "matrix) and O(n^3) time",
                    hint="raise model.max_train if the machine has the memory, or use lightgbm / svm / "
                         "random_forest for sets this large")
            self.scaler_ = StandardScaler().fit(X)
            self.n_features_in_ = X.shape[1]
        return self.scaler_.transform(X)


class GaussianProcessRegression(RegressorMixin, _Standardised):
    """Exact GP regression; ``length_scale``/``noise`` are the starting values of the fitted hyperparameters
    (``kernel_`` after fit holds the fitted ones)."""

    def __init__(self, length_scale: float = 10.0, noise: float = 0.1, n_restarts: int = 0,
                 max_train: int = 10000, random_state: Optional[int] = None) -> None:
        self.length_scale = length_scale
        self.noise = noise
        self.n_restarts = n_restarts
        self.max_train = max_train
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "GaussianProcessRegression":
        from sklearn.gaussian_process import GaussianProcessRegressor

        Xs = self._scale(X, fit=True)
        self.model_ = GaussianProcessRegressor(_kernel(self.length_scale, self.noise), normalize_y=True,
                                               n_restarts_optimizer=self.n_restarts,
                                               random_state=self.random_state).fit(Xs, np.ravel(y))
        self.kernel_ = self.model_.kernel_
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(self._scale(X, fit=False))

    def predict_std(self, X: Any) -> np.ndarray:
        """Posterior standard deviation of the latent function plus the fitted noise, target units."""
        return self.model_.predict(self._scale(X, fit=False), return_std=True)[1]


class GaussianProcessClassification(ClassifierMixin, _Standardised):
    """Binary GP classification (Laplace approximation), probabilities from ``predict_proba``."""

    def __init__(self, length_scale: float = 10.0, n_restarts: int = 0, max_train: int = 10000,
                 random_state: Optional[int] = None) -> None:
        self.length_scale = length_scale
        self.n_restarts = n_restarts
        self.max_train = max_train
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "GaussianProcessClassification":
        from sklearn.gaussian_process import GaussianProcessClassifier

        Xs = self._scale(X, fit=True)
        self.model_ = GaussianProcessClassifier(_kernel(self.length_scale, None),
                                                n_restarts_optimizer=self.n_restarts,
                                                random_state=self.random_state).fit(Xs, np.ravel(y))
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(self._scale(X, fit=False))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(self._scale(X, fit=False))
