"""Ridge and L2-logistic regression on standardised descriptors (scikit-learn).

Each descriptor column is centred and scaled to unit variance on the training rows (constant columns are
left at scale 1), so one penalty fits bits, counts and physical descriptors alike. With the penalty left
at ``null`` it is chosen on the training rows only: ridge by efficient leave-one-out error over
``alphas`` (``RidgeCV``), logistic regression by stratified k-fold log-loss over ``Cs``
(``GridSearchCV``, k = min(5, size of the smaller class)).

Shapes: ``fit(X [n, d], y [n])``, ``predict(X [m, d]) -> [m]``, ``predict_proba(X [m, d]) -> [m, 2]``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-1, 5, 13))
LOGISTIC_CS = tuple(float(c) for c in np.logspace(-4, 2, 13))


class StandardizedRidge(RegressorMixin, BaseEstimator):
    """``StandardScaler`` then ``Ridge(alpha)``; ``alpha=None``: leave-one-out choice among ``alphas``
    (``alpha_`` after fit)."""

    def __init__(self, alpha: Optional[float] = None, alphas: Sequence[float] = RIDGE_ALPHAS,
                 random_state: Optional[int] = None) -> None:
        self.alpha = alpha
        self.alphas = alphas
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "StandardizedRidge":
        from sklearn.linear_model import Ridge, RidgeCV
        from sklearn.preprocessing import StandardScaler

        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        if self.alpha is None:
            self.model_ = RidgeCV(alphas=list(self.alphas)).fit(Xs, y)
            self.alpha_ = float(self.model_.alpha_)
        else:
            self.model_ = Ridge(alpha=self.alpha, random_state=self.random_state).fit(Xs, y)
            self.alpha_ = float(self.alpha)
        self.n_features_in_ = Xs.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(self.scaler_.transform(X))


class StandardizedLogistic(ClassifierMixin, BaseEstimator):
    """``StandardScaler`` then L2 ``LogisticRegression(C)``; ``C=None``: cross-validated choice among ``Cs``
    (``C_`` after fit; C = 1 when the smaller class has fewer than 2 members)."""

    def __init__(self, C: Optional[float] = None, Cs: Sequence[float] = LOGISTIC_CS,
                 class_weight: Optional[str] = None, max_iter: int = 2000,
                 random_state: Optional[int] = None) -> None:
        self.C = C
        self.Cs = Cs
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "StandardizedLogistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(y).ravel()
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        smallest = int(np.unique(y, return_counts=True)[1].min())
        base = LogisticRegression(C=1.0 if self.C is None else float(self.C), class_weight=self.class_weight,
                                  max_iter=self.max_iter, random_state=self.random_state)
        if self.C is None and smallest >= 2:
            folds = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=self.random_state)
            search = GridSearchCV(base, {"C": list(self.Cs)}, cv=folds, scoring="neg_log_loss").fit(Xs, y)
            self.model_ = search.best_estimator_
        else:
            self.model_ = base.fit(Xs, y)
        self.C_ = float(self.model_.C)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = Xs.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(self.scaler_.transform(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(self.scaler_.transform(X))
