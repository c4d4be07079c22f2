"""k-nearest neighbours by fingerprint similarity (distance ``1 - tanimoto`` or ``1 - minmax``).

The ``n_neighbors`` most similar training molecules vote: with ``weights="similarity"`` each neighbour
counts with its kernel similarity (falling back to equal weights when all of them are 0), with
``"uniform"`` equally. Ties in similarity go to the earlier training row, so results are deterministic.

Shapes: ``fit(X [n, d], y [n])``, ``predict(X [m, d]) -> [m]``, ``predict_proba(X [m, d]) -> [m, C]``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from molgdl_models.kernel_svm import compact
from molgdl_models.kernels import KERNELS, check_kernel_input


class _KernelKNN(BaseEstimator):
    """Shared parameters and neighbour search. ``random_state`` is accepted and unused (deterministic)."""

    def __init__(self, n_neighbors: int = 3, metric: str = "minmax", weights: str = "similarity",
                 random_state: Optional[int] = None) -> None:
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.weights = weights
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self.metric == "minmax"
        return tags

    def _store(self, X: Any) -> None:
        X = check_kernel_input(X, self.metric, type(self).__name__)
        self.X_ = compact(X)
        self.n_features_in_ = X.shape[1]

    def _neighbours(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Indices ``[m, k]`` of the nearest training rows and their weights ``[m, k]`` (rows sum to 1)."""
        X = check_kernel_input(X, self.metric, type(self).__name__)
        sim = KERNELS[self.metric](X, self.X_)
        k = min(self.n_neighbors, sim.shape[1])
        idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        w = np.take_along_axis(sim, idx, axis=1) if self.weights == "similarity" else np.ones(idx.shape)
        w = np.clip(w, 0.0, None)
        w[w.sum(1) == 0] = 1.0
        return idx, w / w.sum(1, keepdims=True)


class KernelKNNRegressor(RegressorMixin, _KernelKNN):
    """Weighted mean of the neighbours' targets."""

    def fit(self, X: Any, y: Any) -> "KernelKNNRegressor":
        self._store(X)
        self.y_ = np.asarray(y, dtype=np.float64).ravel()
        return self

    def predict(self, X: Any) -> np.ndarray:
        idx, w = self._neighbours(X)
        return (self.y_[idx] * w).sum(1)


class KernelKNNClassifier(ClassifierMixin, _KernelKNN):
    """Class probabilities = weighted fraction of the neighbours in each class."""

    def fit(self, X: Any, y: Any) -> "KernelKNNClassifier":
        self._store(X)
        self.classes_, self.y_ = np.unique(np.asarray(y).ravel(), return_inverse=True)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        idx, w = self._neighbours(X)
        proba = np.zeros((len(idx), len(self.classes_)))
        for c in range(len(self.classes_)):
            proba[:, c] = (w * (self.y_[idx] == c)).sum(1)
        return np.clip(proba, 0.0, 1.0)  # rounding can give 1 + 1e-16

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]
