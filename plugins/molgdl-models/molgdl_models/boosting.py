"""Gradient-boosted trees with LightGBM (Ke et al., NeurIPS 2017).

The fitted model is kept as LightGBM's own text model (``model_to_string``), and predictions, at training
time and after loading a run, always come from a ``lightgbm.Booster`` rebuilt from that text: a saved run
holds plain data only and predicts exactly as it did when trained. Training is made reproducible with
LightGBM's ``deterministic`` mode (same data, parameters and ``random_state`` -> same trees).

Shapes: ``fit(X [n, d], y [n])``, ``predict(X [m, d]) -> [m]``, ``predict_proba(X [m, d]) -> [m, C]``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class _LightGBM(BaseEstimator):
    def __init__(self, n_estimators: int = 500, learning_rate: float = 0.05, num_leaves: int = 31,
                 max_depth: int = -1, min_child_samples: int = 5, subsample: float = 0.8,
                 colsample_bytree: float = 0.5, reg_lambda: float = 1.0, class_weight: Optional[str] = None,
                 n_jobs: int = -1, random_state: Optional[int] = None) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_lgbm(self, estimator_class, X: Any, y: np.ndarray) -> None:
        est = estimator_class(**self.get_params(), subsample_freq=1 if self.subsample < 1 else 0,
                              deterministic=True, force_col_wise=True, verbose=-1)
        est.fit(np.asarray(X, dtype=np.float64), y)
        self.model_text_ = est.booster_.model_to_string()
        self.n_features_in_ = est.n_features_in_
        self._booster = None

    def _raw_predict(self, X: Any) -> np.ndarray:
        if getattr(self, "_booster", None) is None:
            import lightgbm

            self._booster = lightgbm.Booster(model_str=self.model_text_)
        return self._booster.predict(np.asarray(X, dtype=np.float64))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_booster"] = None  # rebuilt from model_text_: the saved model holds no LightGBM object
        return state


class LightGBMRegressor(RegressorMixin, _LightGBM):
    """``lightgbm.LGBMRegressor`` (L2 loss)."""

    def fit(self, X: Any, y: Any) -> "LightGBMRegressor":
        from lightgbm import LGBMRegressor

        self._fit_lgbm(LGBMRegressor, X, np.asarray(y, dtype=np.float64).ravel())
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._raw_predict(X)


class LightGBMClassifier(ClassifierMixin, _LightGBM):
    """``lightgbm.LGBMClassifier`` (log loss); classes encoded as their sorted order."""

    def fit(self, X: Any, y: Any) -> "LightGBMClassifier":
        from lightgbm import LGBMClassifier

        self.classes_, codes = np.unique(np.asarray(y).ravel(), return_inverse=True)
        self._fit_lgbm(LGBMClassifier, X, codes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        raw = self._raw_predict(X)
        return np.column_stack([1.0 - raw, raw]) if raw.ndim == 1 else raw

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]
